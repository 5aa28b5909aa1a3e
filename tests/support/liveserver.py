"""The API on a real uvicorn server on loopback, in a thread of the test process (so tests can
watch or hold what the server does), for tests of concurrent requests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import httpx
import uvicorn

from urrbmi.interfaces.api import create_app

T = TypeVar("T")


@contextmanager
def live_server(database_url: str) -> Iterator[httpx.Client]:
    """A client of a fresh app on 127.0.0.1 (a free port); the server stops on exit."""
    config = uvicorn.Config(create_app(database_url), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120, limits=limits) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(30)


def at_once(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run every call in its own thread, released together; their results in order."""
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        gate.wait(60)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
