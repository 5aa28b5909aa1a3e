"""Benchmark: quoting one resident in-process with the scalar engine.

Run: .venv/bin/python bench/bench_quote.py [--n 20000]
Prints microseconds of CPU (``time.process_time``: what the target, ≤ 50 µs, is about; wall time
inflates on a shared machine) per quote for each seed policy (input already parsed, as in a
batch loop) and with JSON-style input parsing included, then the wall time and the load average.
"""

from __future__ import annotations

import argparse
import os
import time

from urrbmi.policy import load_policy, quote
from urrbmi.policy.resident import ResidentInput

CASES = {
    "changji-2023": {
        "paid_on": "2022-11-15",
        "birth_date": "1980-01-01",
        "categories": ["低保对象", "稳定脱贫人口"],
    },
    "fengdu-shetan-2023": {
        "paid_on": "2023-03-10",
        "birth_date": "1980-01-01",
        "tier": 2,
        "categories": ["低保对象"],
    },
    "qianjiang-2022": {"paid_on": "2022-07-10", "categories": ["低保边缘户"]},
    "suixi-2022": {"paid_on": "2021-11-01", "categories": ["返贫致贫人口"]},
    "taixing-2022": {"paid_on": "2021-11-01", "birth_date": "2010-01-01"},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    n = ap.parse_args().n
    for pid, raw in CASES.items():
        policy = load_policy(pid)
        resident = ResidentInput.parse(raw)
        quote(policy, resident)  # warm up
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            quote(policy, resident)
        engine_us = (time.process_time() - c0) / n * 1e6
        engine_wall = (time.perf_counter() - w0) / n * 1e6
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            quote(policy, ResidentInput.parse(raw))
        full_us = (time.process_time() - c0) / n * 1e6
        full_wall = (time.perf_counter() - w0) / n * 1e6
        print(  # the shape bench/run_all.py reads: the figures are CPU µs
            f"{pid:20s} engine {engine_us:7.1f} µs/quote   with input parsing {full_us:7.1f} µs/quote"
            f"   (CPU; wall {engine_wall:.1f} and {full_wall:.1f} µs)"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
