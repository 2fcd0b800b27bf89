"""Fuzz: hostile but otherwise valid messages and ticket ids against a running server's OpenAPI schema.

::

    python -m benchmarks.fuzz [--backend sqlite|postgresql] [--examples 400] [--max-seconds 150] [--json]

Needs ``hypothesis`` (in the ``dev`` extra). A server runs as a subprocess on loopback, called with an API
key the benchmark makes in its database before it starts (``--api-key`` to bring one) and with the per-key
rate limit raised out of the way (``--rate-limit``), so every input reaches the intake. The benchmark reads
its ``/openapi.json``, takes the ``POST /v1/messages`` body schema (fields, enums, ``maxLength``) and, for
every example, fills one or more fields of a valid message with NUL bytes, lone surrogates, control
characters, random unicode, invalid UTF-8 bytes, or strings just under, at and past the field's length
limit. The body is sent as ASCII-escaped JSON, so a lone surrogate travels as ``\\udXXX`` exactly as a
careless client would send it. ``GET /v1/tickets/{id}`` gets hostile ids too. Then the accepted tickets are
given ``--drain-timeout`` s to finish, since a message that was accepted and then broke its workflow is as
bad as a 5xx.

Printed: requests sent, counts by status (5xx expected 0), accepted vs done, DBOS workflows by status, and
the shortest few inputs that got a 5xx. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.parse
from collections import Counter
from typing import Any

import httpx

from benchmarks._servers import (
    Proc,
    common_options,
    done_times,
    headers,
    make_backend,
    print_report,
    provision_api_key,
    server_env,
    start_cluster,
    stop_all,
    workflow_counts,
)

try:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - a benchmark-only dependency
    raise SystemExit(
        "benchmarks.fuzz needs hypothesis: pip install hypothesis (see docs/benchmarks-load.md)"
    ) from exc

NUL, SURROGATES, CONTROLS = "\x00", (0xD800, 0xDFFF), "".join(map(chr, [*range(1, 32), *range(127, 160)]))
TICKET_ID_LIMIT = 64  # tickets.id is String(64)


def message_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    """The request body schema of ``POST /v1/messages``, with ``$ref``s into components resolved."""
    components = openapi.get("components", {}).get("schemas", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(components[node["$ref"].rsplit("/", 1)[1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    body = openapi["paths"]["/v1/messages"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return dict(resolve(body))


def string_fields(schema: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Every string field by dotted path, with its ``maxLength``/``enum`` (nested objects too)."""
    out: dict[str, dict[str, Any]] = {}
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf", [prop])
        for option in options:
            if option.get("type") == "object":
                out.update(string_fields(option, f"{prefix}{name}."))
            elif option.get("type") == "string":
                out[f"{prefix}{name}"] = option
    return out


def hostile(limit: int | None) -> st.SearchStrategy[str]:
    """Strings meant to break storage or encoding, and lengths just around ``limit``."""
    lone = st.integers(*SURROGATES).map(chr)
    specials = st.sampled_from(["\u202e", "\ufeff", "\u200b", "\ufffe", "\U0010ffff"])
    astral = st.text(alphabet=st.characters(min_codepoint=0x10000), min_size=1, max_size=5)
    plain = st.text(max_size=12)

    def inside(bad: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        """``bad`` between two ordinary strings, so each input holds one kind of hostility."""
        return st.tuples(plain, bad, plain).map(lambda t: f"ok{t[0]}{t[1]}{t[2]}")

    mixed = st.one_of(
        st.text(min_size=1, max_size=40),  # random unicode (hypothesis leaves surrogates out)
        inside(st.just(NUL)),
        inside(lone),
        inside(st.sampled_from(CONTROLS)),
        inside(astral),
        inside(specials),
    )
    sizes = [1, 100_000, 100_001] if limit is None else [limit - 1, limit, limit + 1, limit * 4]
    # exactly N characters, starting with something hostile
    sized = st.tuples(st.sampled_from([s for s in sizes if s > 0]), mixed).map(
        lambda t: (t[1] + "x" * t[0])[: t[0]]
    )
    return st.one_of(mixed, sized)


def valid_message(n: int) -> dict[str, Any]:
    return {
        "channel": "chat",
        "external_id": f"fuzz-{n}",
        "conversation_id": f"fuzz-conv-{n}",
        "customer": {"email": "kim@example.com", "id": "C1042"},
        "subject": "About my order",
        "text": "Where is my order NW-100234?",
    }


def set_field(body: dict[str, Any], path: str, value: str) -> None:
    target = body
    *parents, leaf = path.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    if leaf == "email":  # keep it an address: the pattern wants exactly one @
        value = f"{value.replace('@', '')}@example.com"
    target[leaf] = value


class Fuzzer:
    """Sends each example and keeps the figures; never raises, so hypothesis just keeps generating."""

    def __init__(self, client: httpx.Client, deadline: float) -> None:
        self.client = client
        self.deadline = deadline
        self.statuses: Counter[str] = Counter()
        self.by_route: Counter[str] = Counter()
        self.by_kind: Counter[str] = Counter()
        self.failures: list[tuple[int, str, str]] = []  # (size, route + status, description)
        self.accepted: set[str] = set()
        self.n = 0
        self.dropped = 0

    def send(self, route: str, method: str, url: str, content: bytes | None, what: dict[str, Any]) -> None:
        if time.monotonic() > self.deadline:
            return
        self.n += 1
        response, status = self._request(method, url, content)
        if response is None:  # the server dropped the connection (a 500 may have left it): once more
            self.dropped += 1
            response, status = self._request(method, url, content)
        self.statuses[status] += 1
        self.by_route[f"{route} {status}"] += 1
        for kind in kinds(what):
            self.by_kind[f"{kind} {status}"] += 1
        if response is not None and response.status_code == 202:
            self.accepted.add(response.json()["ticket_id"])
        if response is None or response.status_code >= 500:
            self.failures.append((len(content or url.encode()), f"{route} -> {status}", describe(what)))

    def _request(self, method: str, url: str, content: bytes | None) -> tuple[httpx.Response | None, str]:
        try:
            if method == "POST":
                response = self.client.post(
                    url, content=content, headers={"content-type": "application/json"}
                )
            else:
                response = self.client.get(url)
        except httpx.TransportError as exc:
            return None, type(exc).__name__
        return response, str(response.status_code)


def kinds(what: dict[str, Any]) -> set[str]:
    """Which kinds of hostility an input holds, to tell which of them a status answers."""
    found = set()
    for key, value in what.items():
        if key == "raw_bytes":
            found.add("invalid-utf8")
            continue
        text = value if isinstance(value, str) else ""
        if NUL in text:
            found.add("nul")
        if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
            found.add("lone-surrogate")
        if any(c in CONTROLS for c in text):
            found.add("control")
        if len(text) > 1000 or isinstance(value, int):
            found.add("long")
    return found or {"other"}


def describe(what: dict[str, Any]) -> str:
    """A short, printable description of an input: each field's first characters (escaped) and length."""
    parts = []
    for key, value in what.items():
        text = value if isinstance(value, str) else json.dumps(value)
        shown = text[:24].encode("unicode_escape", "backslashreplace").decode("ascii")
        parts.append(f"{key}={shown!s}{'...' if len(text) > 24 else ''}(len {len(text)})")
    return ", ".join(parts)


def boundary_cases(fields: dict[str, dict[str, Any]]) -> list[tuple[str, int]]:
    """Every length-limited field at limit-1, limit, limit+1, with plain ASCII (a 422 or a 202, never 5xx)."""
    cases = []
    for path, spec in fields.items():
        limit = spec.get("maxLength")
        if limit and "enum" not in spec:
            cases += [(path, size) for size in (limit - 1, limit, limit + 1)]
    return cases


def run_fuzz(base: str, args: argparse.Namespace) -> Fuzzer:
    with httpx.Client(base_url=base, headers=headers(args.api_key), timeout=30) as client:
        schema = message_schema(client.get("/openapi.json").json())
        fields = string_fields(schema)
        fuzzer = Fuzzer(client, time.monotonic() + args.max_seconds)
        counter = iter(range(10**9))
        for path, size in boundary_cases(fields):
            body = valid_message(next(counter))
            value = "a" * size if not path.endswith("email") else "a" * (size - len("@example.com"))
            set_field(body, path, value)
            fuzzer.send("POST /v1/messages", "POST", "/v1/messages", json.dumps(body).encode(), {path: value})
            if path == "external_id":  # without a conversation_id, the thread is named after the message
                body.pop("conversation_id")
                body["external_id"] += "-"  # a new message
                body["external_id"] = body["external_id"][1:]
                what = {path: body["external_id"], "conversation_id": "(none)"}
                fuzzer.send("POST /v1/messages", "POST", "/v1/messages", json.dumps(body).encode(), what)
        for size in (TICKET_ID_LIMIT - 1, TICKET_ID_LIMIT, TICKET_ID_LIMIT + 1, 2048):
            fuzzer.send(
                "GET /v1/tickets/{id}", "GET", f"/v1/tickets/t_{'0' * (size - 2)}", None, {"id": size}
            )
        names = sorted(fields)

        @settings(
            max_examples=args.examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            chosen=st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True),
            data=st.data(),
            raw_bytes=st.sampled_from([None, None, None, None, b"\xff", b"\xc3", b"\xed\xa0\x80"]),
        )
        def post_message(chosen: list[str], data: st.DataObject, raw_bytes: bytes | None) -> None:
            body = valid_message(next(counter))
            what: dict[str, Any] = {}
            for path in chosen:
                value = data.draw(hostile(fields[path].get("maxLength")), label=path)
                set_field(body, path, value)
                what[path] = value
            content = json.dumps(body).encode()  # ASCII: lone surrogates go as \\udXXX escapes
            if raw_bytes is not None:  # invalid UTF-8 inside the text's JSON string
                content = content.replace(b'"text": "', b'"text": "' + raw_bytes, 1)
                what["raw_bytes"] = raw_bytes.hex()
            fuzzer.send("POST /v1/messages", "POST", "/v1/messages", content, what)

        @settings(
            max_examples=max(20, args.examples // 4),
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(ticket_id=hostile(TICKET_ID_LIMIT))
        def get_ticket(ticket_id: str) -> None:
            quoted = urllib.parse.quote(ticket_id.encode("utf-8", "surrogatepass"), safe="")
            fuzzer.send("GET /v1/tickets/{id}", "GET", f"/v1/tickets/{quoted}", None, {"id": ticket_id})

        post_message()
        get_ticket()
    return fuzzer


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz", description=__doc__.split("\n")[0])
    common_options(parser)
    parser.add_argument("--examples", type=int, default=400, help="hypothesis examples of POST /v1/messages")
    parser.add_argument("--max-seconds", type=float, default=150.0, help="bound on the sending phase")
    parser.add_argument("--drain-timeout", type=float, default=60.0, help="seconds for accepted tickets")
    parser.add_argument("--failures", type=int, default=5, help="failing inputs to print")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=1_000_000,
        help="the API's per-key requests per minute (TICKETFLOW_API__RATE_LIMIT_PER_MINUTE); the default 600 "
        "would answer part of the inputs with 429 instead of reading them",
    )
    args = parser.parse_args(argv)

    backend = make_backend(args.backend, args.database_url, "fuzz")
    env = server_env(
        backend, TICKETFLOW_PROVIDER="offline", TICKETFLOW_API__RATE_LIMIT_PER_MINUTE=str(args.rate_limit)
    )
    procs: list[Proc] = []
    try:
        args.api_key = provision_api_key(backend, args.api_key)
        procs = start_cluster(backend, env, 0, args.api_key)
        started = time.monotonic()
        fuzzer = run_fuzz(procs[0].url, args)
        send_s = time.monotonic() - started
        while time.monotonic() - started - send_s < args.drain_timeout:
            if fuzzer.accepted <= set(done_times(backend)):
                break
            time.sleep(0.5)
        done = fuzzer.accepted & set(done_times(backend))
        # the shortest failing input of each request kind first, then the next shortest of any
        ordered = sorted(fuzzer.failures)
        firsts = list({f[1].split(" -> ")[0]: f for f in reversed(ordered)}.values())
        failures = (firsts + [f for f in ordered if f not in firsts])[: args.failures]
        report: dict[str, Any] = {
            "backend": args.backend,
            "requests": fuzzer.n,
            "send_s": round(send_s, 1),
            "statuses": dict(fuzzer.statuses),
            "by_route": dict(fuzzer.by_route),
            "by_kind": dict(fuzzer.by_kind),
            "fivexx": sum(n for s, n in fuzzer.statuses.items() if not s.isdigit() or int(s) >= 500),
            "dropped_connections": fuzzer.dropped,
            "accepted": len(fuzzer.accepted),
            "accepted_not_done": len(fuzzer.accepted - done),
            "workflows_by_status": workflow_counts(backend),
            "server_alive": procs[0].alive(),
            "failing_inputs": [{"size": f[0], "request": f[1], "input": f[2]} for f in failures],
        }
    finally:
        stop_all(procs)
        backend.close()
    report["folder"] = str(backend.folder)
    _print(report, args.json)
    return report


def _print(r: dict[str, Any], as_json: bool) -> None:
    rows: list[tuple[str, Any]] = [
        ("backend", r["backend"]),
        ("requests sent", f"{r['requests']} in {r['send_s']} s"),
        ("responses by status", dict(sorted(r["statuses"].items()))),
        ("5xx (and no answer)", r["fivexx"]),
        ("connections dropped (retried once)", r["dropped_connections"]),
    ]
    rows += [(f"  {route}", n) for route, n in sorted(r["by_route"].items())]
    rows += [(f"  input with {kind}", n) for kind, n in sorted(r["by_kind"].items())]
    rows += [
        ("accepted (202) / not done after drain", f"{r['accepted']} / {r['accepted_not_done']}"),
        ("workflows by status", r["workflows_by_status"]),
        ("server still alive", r["server_alive"]),
    ]
    rows += [
        (f"failing input {n + 1}", f"{f['request']}: {f['input']}") for n, f in enumerate(r["failing_inputs"])
    ]
    print_report("ticketflow fuzz benchmark", r, rows, as_json)


if __name__ == "__main__":
    main()
