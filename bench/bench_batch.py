"""Benchmark: the batch engine over a synthetic registry, against the scalar engine in a loop and
against the machine's memory bandwidth.

Run: .venv/bin/python bench/bench_batch.py [SIZES...] [--policy suixi-2022] [--repeat 3]
     e.g. .venv/bin/python bench/bench_batch.py 1000000 10000000

Each size runs in a fresh process so its peak RSS is its own. Per size it prints: the time to
assess (best and first of --repeat runs; generating the residents is not timed), the peak RSS of
the process (residents, results and the engine's intermediates together), the bytes the
engine must read and write (coded input + results, Polars' estimated sizes), the time those
bytes take at the measured memory bandwidth (the physical limit), and the scalar engine's time
for the same number of residents, extrapolated from a sample of --scalar-sample residents quoted
one by one (input already parsed). Memory bandwidth: a numpy copy of a 1 GiB array, counted as
2 GiB moved (read + write), best of 5.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Literal

import numpy as np


def bandwidth() -> float:
    """Bytes per second moved by a large numpy copy (read + write)."""
    a = np.ones(1 << 27, dtype=np.float64)  # 1 GiB
    b = np.empty_like(a)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t)
    return 2 * a.nbytes / best


def one_size(
    n: int, policy_id: str, repeat: int, sample: int, engine: Literal["auto", "plan", "profiles"] = "auto"
) -> dict[str, float]:
    import polars as pl

    from urrbmi.batch import assess_frame
    from urrbmi.batch.convert import canonical_categories, inputs_from_coded
    from urrbmi.batch.sample import synthetic_residents
    from urrbmi.errors import UrrbmiError
    from urrbmi.policy import load_policy, quote

    policy = load_policy(policy_id)
    residents = synthetic_residents(policy, n, seed=1)
    times: list[float] = []
    out = pl.DataFrame()
    for _ in range(repeat):
        del out
        t = time.perf_counter()
        out = (
            assess_frame(residents, policy)
            if engine == "auto"
            else assess_frame(residents, policy, engine=engine)
        )
        times.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    moved = residents.estimated_size() + out.estimated_size()
    errors = int(out["error"].is_not_null().sum())
    del out

    # the scalar engine on a sample of the same residents, one by one
    rows = [r for r in inputs_from_coded(residents.head(sample)) if r is not None]
    rows = [r.model_copy(update={"categories": canonical_categories(policy, r.categories)}) for r in rows]
    t = time.perf_counter()
    for r in rows:
        try:
            quote(policy, r)
        except UrrbmiError:  # refused rows cost time too
            continue
    per = (time.perf_counter() - t) / len(rows)
    return {
        "n": n,
        "best_s": min(times),
        "first_s": times[0],
        "peak_rss_gib": peak / 2**30,
        "moved_gib": moved / 2**30,
        "refused": errors,
        "scalar_us": per * 1e6,
        "scalar_s": per * n,
        "threads": pl.thread_pool_size(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("sizes", nargs="*", type=int, default=[1_000_000])
    ap.add_argument("--policy", default="suixi-2022")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scalar-sample", type=int, default=20_000)
    ap.add_argument("--engine", default="auto", choices=["auto", "plan", "profiles"])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: one size
    ap.add_argument("--bandwidth", action="store_true", help=argparse.SUPPRESS)  # child process
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.policy, args.repeat, args.scalar_sample, args.engine)))
        return
    if args.bandwidth:
        print(bandwidth())
        return
    # in its own process: Linux keeps the peak RSS across fork+exec, so the 2 GiB of the
    # bandwidth test would otherwise show up in every size's peak
    bw = float(
        subprocess.run(
            [sys.executable, __file__, "--bandwidth"], check=True, capture_output=True, text=True
        ).stdout
    )
    print(f"memory bandwidth (numpy copy, read+write): {bw / 2**30:.1f} GiB/s")
    print(f"policy {args.policy}, engine {args.engine}\n")
    print(
        "| residents | batch best (first) | peak RSS | bytes moved | physical limit | "
        "vs limit | scalar loop (extrapolated) | batch speed-up |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        res = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(n),
                "--policy",
                args.policy,
                "--repeat",
                str(args.repeat),
                "--scalar-sample",
                str(args.scalar_sample),
                "--engine",
                args.engine,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(res.stdout.strip().splitlines()[-1])
        limit = r["moved_gib"] * 2**30 / bw
        print(
            f"| {n:,} | {r['best_s']:.2f} s ({r['first_s']:.2f} s) | {r['peak_rss_gib']:.2f} GiB "
            f"| {r['moved_gib']:.2f} GiB | {limit * 1000:.0f} ms | {r['best_s'] / limit:.0f}× "
            f"| {r['scalar_s']:.0f} s ({r['scalar_us']:.0f} µs each) "
            f"| {r['scalar_s'] / r['best_s']:.0f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
