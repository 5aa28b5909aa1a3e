"""An in-process sliding-window rate limiter (the public lookup).

One process keeps its own counters: with several workers each allows the configured rate, so the
effective limit is rate × workers (documented in docs/api.md; put a limit in the reverse proxy too,
e.g. nginx ``limit_req``). Keys are kept only while they have hits inside the window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from urrbmi.access.errors import RateLimited


class SlidingWindow:
    def __init__(self, limit: int, window_seconds: float = 60.0) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def hit(self, key: str, now: float | None = None) -> None:
        """Count one request for ``key``; :class:`RateLimited` (with Retry-After) when over."""
        t = time.monotonic() if now is None else now
        with self._lock:
            self._calls += 1
            if self._calls % 1000 == 0:
                self._prune(t)
            q = self._hits.setdefault(key, deque())
            while q and q[0] <= t - self.window:
                q.popleft()
            if len(q) >= self.limit:
                raise RateLimited(max(1, math.ceil(q[0] + self.window - t)))
            q.append(t)

    def _prune(self, t: float) -> None:
        for key in [k for k, q in self._hits.items() if not q or q[-1] <= t - self.window]:
            del self._hits[key]

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
