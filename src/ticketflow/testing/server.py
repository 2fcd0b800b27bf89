"""Serve an ASGI app on 127.0.0.1 with an ephemeral port, in a background thread, for tests and benchmarks.

::

    with serve(app) as server:
        httpx.get(f"{server.url}/healthz")
"""

from __future__ import annotations

import asyncio
import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn


class LoopbackServer:
    """A uvicorn server bound to a port the OS chose; :meth:`stop` ends it and joins its thread."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1") -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # without it every loopback request waits on a delayed ACK (about 40 ms)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind((host, 0))
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"loopback:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def start(self, timeout: float = 10.0) -> LoopbackServer:
        self._thread.start()
        ready = threading.Event()

        def poll() -> None:
            while not self._server.started and self._thread.is_alive():
                ready.wait(0.01)
            ready.set()

        poll()
        if not self._server.started:
            raise RuntimeError(f"the loopback server on port {self.port} did not start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> LoopbackServer:
        return self.start() if not self._thread.is_alive() else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve(app: Any) -> LoopbackServer:
    """A started loopback server for ``app``; use as a context manager or call ``stop()``."""
    return LoopbackServer(app).start()
