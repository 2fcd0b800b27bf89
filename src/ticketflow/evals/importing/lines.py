"""An export file as numbered text lines, streamed, whatever its encoding, BOM or compression.

Helpdesk exports arrive as UTF-8 with or without a BOM, as UTF-16 from spreadsheet programs, or as
Windows-1252 from older tools, sometimes gzipped. With ``encoding="auto"`` a UTF-16/32 BOM is obeyed, and
otherwise each line is read as UTF-8, falling back to Windows-1252 for a line that is not (counted, so the
user is told); a named encoding is used strictly, and a line it cannot decode is an error naming the line.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

from ticketflow.errors import InputError

_CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
FALLBACK = "cp1252"


class ExportLines:
    """Iterate ``(line number, text)`` over a file; ``text`` keeps its line end (CSV needs it).

    After iteration, ``sha256`` is the digest of the file's bytes as stored and ``fallback_lines`` the number
    of lines read as Windows-1252 because they were not UTF-8.
    """

    def __init__(self, path: Path, encoding: str = "auto") -> None:
        """Check that ``path`` exists and ``encoding`` is known; nothing is read yet."""
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        if encoding != "auto":
            try:
                codecs.lookup(encoding)
            except LookupError as exc:
                raise InputError(f"--encoding {encoding!r}: unknown encoding (try utf-8 or cp1252)") from exc
        self.path = path
        self.encoding = encoding
        self.sha256 = ""
        self.fallback_lines = 0

    def _open(self) -> BinaryIO:
        with self.path.open("rb") as probe:
            magic = probe.read(2)
        if magic == b"\x1f\x8b":
            return cast(BinaryIO, gzip.open(self.path, "rb"))
        return self.path.open("rb")

    def __iter__(self) -> Iterator[tuple[int, str]]:
        digest = hashlib.sha256()
        with self.path.open("rb") as raw:
            for block in iter(lambda: raw.read(_CHUNK), b""):
                digest.update(block)
        self.sha256 = digest.hexdigest()
        with self._open() as handle:
            head = handle.read(4)
            encoding = self.encoding
            if encoding == "auto":
                encoding = next((name for bom, name in _BOMS if head.startswith(bom)), "auto")
            elif codecs.lookup(encoding).name == "utf-8" and head.startswith(codecs.BOM_UTF8):
                encoding = "utf-8-sig"
            if encoding in ("auto", "utf-8-sig") and self.encoding == "auto":
                yield from self._utf8_lines(handle, head)
            else:
                yield from self._decoded_lines(handle, head, encoding)

    def _chunks(self, handle: BinaryIO, head: bytes) -> Iterator[bytes]:
        yield head
        yield from iter(lambda: handle.read(_CHUNK), b"")

    def _utf8_lines(self, handle: BinaryIO, head: bytes) -> Iterator[tuple[int, str]]:
        number, pending = 0, b""
        for chunk in self._chunks(handle, head):
            if number == 0 and not pending and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[len(codecs.BOM_UTF8) :]
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                number += 1
                yield number, self._decode(raw + b"\n")
        if pending:
            yield number + 1, self._decode(pending)

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.fallback_lines += 1
            return raw.decode(FALLBACK, errors="replace")

    def _decoded_lines(self, handle: BinaryIO, head: bytes, encoding: str) -> Iterator[tuple[int, str]]:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        number, pending = 0, ""
        for chunk in self._chunks(handle, head):
            try:
                pending += decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = number + pending.count("\n") + chunk[: exc.start].count(b"\n") + 1
                raise InputError(
                    f"{self.path}:{at}: not {encoding} ({exc.reason}); "
                    "pass the file's encoding with --encoding (e.g. cp1252)"
                ) from exc
            *complete, pending = pending.split("\n")
            for text in complete:
                number += 1
                yield number, text + "\n"
        pending += decoder.decode(b"", final=True)
        if pending:
            yield number + 1, pending
