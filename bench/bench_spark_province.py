"""Benchmark: a synthetic province through ``urrbmi batch assess``, Spark and Polars (issue 19 item 4).

Run: PYTHONPATH=$PWD .venv/bin/python bench/bench_spark_province.py [N] [--master local[2]] [--dir DIR]

Writes N synthetic residents (``urrbmi.batch.sample.synthetic_residents``, split evenly over five
counties, each with its own policy) as Parquet partitioned by county (not timed), then runs the
command a user runs, as a separate process, once per engine:

    urrbmi batch assess --engine spark --input DIR/registry --by county --map 340621=suixi-2022 ...
    urrbmi batch assess --engine polars ... (the same, on one machine)

and prints each run's wall time, CPU time (user + sys of the process and its children, the JVM
included, from ``os.wait4``), peak RSS of the largest process, residents per second, and whether
the two outputs agree (rows, total due, rows refused). Spark runs in local mode (``--master``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COUNTIES = {
    "340621": "suixi-2022",
    "500114": "qianjiang-2022",
    "321283": "taixing-2022",
    "652301": "changji-2023",
    "500230": "fengdu-shetan-2023",
}


def write_registry(n: int, path: Path) -> None:
    import polars as pl

    from urrbmi.batch.sample import synthetic_residents
    from urrbmi.policy import load_policy

    per = n // len(COUNTIES)
    start = 0
    for i, (county, pid) in enumerate(COUNTIES.items()):
        k = per if i < len(COUNTIES) - 1 else n - per * (len(COUNTIES) - 1)
        part = synthetic_residents(load_policy(pid), k, seed=i + 1).with_columns(
            resident=pl.int_range(start, start + k, dtype=pl.Int64)
        )
        start += k
        out = path / f"county={county}"
        out.mkdir(parents=True)
        part.write_parquet(out / "part-0.parquet")  # county only in the directory name, as Spark writes


def run(engine: str, registry: Path, output: Path, master: str) -> tuple[float, float, float, str]:
    urrbmi = str(Path(sys.executable).with_name("urrbmi"))  # the installed console script
    cmd = [urrbmi, "batch", "assess", "--engine", engine]
    cmd += ["--input", str(registry), "--output", str(output), "--by", "county", "--keep", "resident"]
    for county, pid in COUNTIES.items():
        cmd += ["--map", f"{county}={pid}"]
    if engine == "spark":
        cmd += ["--master", master]
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert p.stdout is not None
    text = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{engine} failed: {text}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--engines", nargs="*", default=["spark", "polars"])
    a = ap.parse_args()
    base = a.dir or Path(tempfile.mkdtemp(prefix="urrbmi-bench-province-"))
    registry = base / "registry"
    if registry.exists():
        shutil.rmtree(registry)
    t = time.perf_counter()
    write_registry(a.n, registry)
    size = sum(f.stat().st_size for f in registry.rglob("*.parquet"))
    print(
        f"registry: {a.n:,} residents, {len(COUNTIES)} counties, {size / 2**20:.0f} MiB Parquet, "
        f"written in {time.perf_counter() - t:.1f} s (not timed); {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    summaries = {}
    for engine in a.engines:
        load = os.getloadavg()[0]
        wall, cpu, rss, text = run(engine, registry, base / f"out-{engine}", a.master)
        summaries[engine] = text.splitlines()[0].split(" / ")[1].rsplit(",", 1)[0]
        print(
            f"{engine:7s} {a.n:,} residents: wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {rss:.0f} MiB, "
            f"{a.n / wall:,.0f} residents/s (wall), load {load:.1f}"
        )
        print(f"        {summaries[engine]}")
    if len(summaries) == 2:
        same = len(set(summaries.values())) == 1
        print(f"spark and polars summaries agree (rows, assessed, total due): {same}")
    shutil.rmtree(base)


if __name__ == "__main__":
    main()
