"""Every benchmark in bench/ at one scale, one table in docs/performance.md (issue 19 item 5).

Run: PYTHONPATH=$PWD .venv/bin/python bench/run_all.py [--scale small|county|full] [--only NAME ...]
                                                     [--output docs/performance.md]

Scales: ``small`` (default; the whole set in a few minutes: 10^4-10^5 residents), ``county`` (a
county: 1 M residents, Suixi's 1,141,677 where the script models Suixi), ``full`` (issue 19's
sizes: batch at 10 M, the peer at 1 M and 10 M). Each benchmark runs as its own process, unchanged
(run_all only passes sizes and reads what it prints); run_all records its exit status, wall time,
CPU time (user + sys of the process and its children, from ``os.wait4``) and the load average
before it, and takes the figures out of its output with the patterns below (a benchmark whose
output changed shows "no figures parsed": fix the pattern here). Raw output goes to
``--log-dir`` (default $TMPDIR/urrbmi-run-all-<scale>/).

``--only NAME ...`` runs those benchmarks and keeps the other benchmarks' rows of the table in
``--output`` as they were (the header then gives this run's date and load).

Not run: ``bench_api.py`` and ``cpu_per_lookup.sh`` when ``wrk`` is not installed (said so in the
table); ``profile_lookup.py`` and ``profile_payment.py`` (profilers, not benchmarks).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG = "postgresql+psycopg://postgres@127.0.0.1"

Figure = tuple[str, str, str]  # (measure, value, ratio or goal note)


@dataclass
class Bench:
    name: str
    args: dict[str, list[str]]  # per scale; {tmp} is the log directory
    parse: Callable[[str], list[Figure]]
    needs: str | None = None  # an executable that must be on PATH
    program: str = "python"


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def _lines(pattern: str, text: str) -> list[re.Match[str]]:
    return list(re.finditer(pattern, text, re.M))


# --- parsers: what each benchmark prints -------------------------------------------------------


def p_openfisca(out: str) -> list[Figure]:
    figs: list[Figure] = []
    for line in out.splitlines():
        if not line.startswith("RESULT "):
            continue
        r = json.loads(line[7:])
        n = f"{r['n']:,}"
        for e, row in r["engines"].items():
            cpu = row["build_cpu_s"] + row["compute_cpu_s"]
            figs.append(
                (f"{n}: {e} build+compute CPU / peak RSS", f"{cpu:.3f} s / {row['peak_rss_mib']:.0f} MiB", "")
            )
        for key, v in r.items():
            if key.startswith("urrbmi") and "_vs_" in key:
                goal = "goal ≤ 0.5 CPU, ≤ 1.0 RSS" if key.endswith("openfisca") else ""
                ratio = f"CPU ×{v['cpu_ratio']:.2f}, compute CPU ×{v['compute_cpu_ratio']:.2f}"
                ratio += f", RSS ×{v['memory_ratio']:.2f}"
                figs.append((f"{n}: {key.replace('_vs_', ' vs ')}", ratio, goal))
        agree = r["agree_peer_copy_digest"] and r["agree_shipped_same_meaning"]
        figs.append(
            (f"{n}: checksums", "agree" if agree else "DIFFER", "digest on the test copy; same-meaning rows")
        )
    return figs


def p_batch(out: str) -> list[Figure]:
    figs: list[Figure] = []
    row = (
        r"^\| ([\d,]+) \| ([\d.]+) s \(([\d.]+) s\) \| ([\d.]+) GiB \| [^|]+\| [^|]+\| "
        r"([\d.]+)× \| ([^|]+)\| ([\d.]+)× \|"
    )
    for m in _lines(row, out):
        figs.append((f"{m[1]}: assess best (first)", f"{m[2]} s ({m[3]} s), peak {m[4]} GiB", ""))
        figs.append(
            (f"{m[1]}: vs scalar loop / vs memory bandwidth", f"{m[7]}× faster / {m[5]}× the limit", "")
        )
    return figs


def p_assess_engine(out: str) -> list[Figure]:
    pat = r"^(first|second): ([\d,]+) residents in ([\d.]+) s \(CPU ([\d.]+) s"
    return [
        (f"{m[2]}: price_frame, {m[1]} call", f"wall {m[3]} s, CPU {m[4]} s", "") for m in _lines(pat, out)
    ]


def p_quote(out: str) -> list[Figure]:
    pat = r"^(\S+)\s+engine\s+([\d.]+) µs/quote\s+with input parsing\s+([\d.]+) µs/quote"
    return [(f"{m[1]}: one quote", f"{m[2]} µs ({m[3]} µs with parsing)", "") for m in _lines(pat, out)]


def p_quote_process(out: str) -> list[Figure]:
    cpu = _lines(r"CPU \(user\+sys\) s: min ([\d.]+)\s+median ([\d.]+)", out)
    rss = _lines(r"peak RSS MiB:\s+min ([\d.]+)\s+median ([\d.]+)", out)
    if not cpu or not rss:
        return []
    return [("`urrbmi quote` process, median", f"CPU {cpu[0][2]} s, peak {rss[0][2]} MiB", "")]


def p_import(out: str) -> list[Figure]:
    m = _lines(r"^rows ([\d,]+):", out)
    r = _lines(r"^([\d,]+) rows/s; CPU time ([\d.]+) s", out)
    t = _lines(r"^seconds: .*total ([\d.]+)", out)
    if not (m and r and t):
        return []
    return [
        (f"{m[0][1]} rows: read + validate + dedupe", f"{t[0][1]} s, {r[0][1]} rows/s, CPU {r[0][2]} s", "")
    ]


def p_import_db(out: str) -> list[Figure]:
    m = _lines(r"^total ([\d.]+) s \(incl\. commit\), ([\d,]+) rows/s; CPU of this process ([\d.]+) s", out)
    db = _lines(r"^python \S+, (\w+),", out)
    rows = _lines(r"data rows|, ([\d,]+) data rows", out)
    n = rows[-1][1] if rows and rows[-1][1] else "?"
    name = db[0][1] if db else "?"
    goal = "goal ≤ 10 s (PG) / ≤ 15 s (SQLite) at 1 M"
    return [
        (f"{n} rows, {name}: check + stage + apply", f"{x[1]} s, {x[2]} rows/s, CPU {x[3]} s", goal)
        for x in m
    ]


def p_campaign(out: str) -> list[Figure]:
    figs: list[Figure] = []
    goals = {
        ("postgres", "assess"): "goal ≤ 6 s at 1 M",
        ("postgres", "again"): "goal ≤ 2 s at 1 M",
        ("sqlite", "assess"): "goal ≤ 8 s at 1 M",
    }
    pat = r"^\[(\w+)\] (assess|assess again[^:]*|re-assess[^:]*): ([\d,]+) residents in ([\d.]+) s"
    for m in _lines(pat + r"(?: \(CPU ([\d.]+) s\))?", out):
        cpu = f", CPU {m[5]} s" if m[5] else ""
        figs.append(
            (
                f"{m[1]}: {m[2]} ({m[3]} residents)",
                f"{m[4]} s{cpu}",
                goals.get((m[1], "again" if "again" in m[2] else m[2]), ""),
            )
        )
    for m in _lines(r"^\[(\w+)\] payments: ([\d,]+)-line file .*total ([\d.]+) s \(([\d,]+)/s\)", out):
        figs.append((f"{m[1]}: payment file of {m[2]} lines", f"{m[3]} s ({m[4]}/s)", ""))
    return figs


def p_schools(out: str) -> list[Figure]:
    pat = r"^\[(\w+)\] (roster|statement|pay|progress by school): .*? in ([\d.]+) s"
    return [(f"{m[1]}: {m[2]}", f"{m[3]} s", "") for m in _lines(pat, out)]


def p_fieldwork(out: str) -> list[Figure]:
    head = _lines(r"^(\d+) residents", out)
    n = head[0][1] if head else "?"
    return [
        (f"{n} residents: {' '.join(m[1].split())}", f"{m[2]} ms", "")
        for m in _lines(r"^(.*?\S)\s+(\d+) ms$", out)
    ]


def p_progress(out: str) -> list[Figure]:
    figs: list[Figure] = []
    day = "setup"
    for line in out.splitlines():
        d = re.match(r"^-- at (\S+)", line)
        if d:
            day = d[1]
            continue
        m = re.match(r"^(.+?)\s+best\s+([\d.]+) s\s+first\s+([\d.]+) s\s+cpu\s+([\d.]+) s", line)
        if m and day != "setup":
            figs.append((f"{day}: {m[1]}", f"best {m[2]} s, first {m[3]} s, CPU {m[4]} s", ""))
    last = figs[-1][0].split(":")[0] if figs else ""
    return [f for f in figs if f[0].startswith(last + ":")]  # the last day of the season


def p_pages(out: str) -> list[Figure]:
    figs: list[Figure] = []
    section = ""
    for line in out.splitlines():
        s = re.match(r"^-- (.+)", line)
        if s:
            section = s[1]
            continue
        m = re.match(r"^\s+(page data)\s+wall\s+([\d.]+) s\s+cpu\s+([\d.]+) s", line)
        if m:
            figs.append((f"{section}: {m[1]}", f"wall {m[2]} s, CPU {m[3]} s", ""))
    return figs


def p_exports(out: str) -> list[Figure]:
    pat = r"^(\S+)\s+(.+?)\s+wall\s+([\d.]+) s\s+cpu\s+([\d.]+) s\s+rows\s+([\d,]+)\s+file\s+([\d.]+) MB"
    pat += r"\s+peak \+\s*(\d+) MB"
    figs: list[Figure] = []
    for m in _lines(pat, out):
        size = f"{m[5]} rows, {m[6]} MB, peak +{m[7]} MB"
        figs.append((f"{m[1]} export, {m[2]}", f"wall {m[3]} s, CPU {m[4]} s, {size}", ""))
    return figs


def p_season(out: str) -> list[Figure]:
    m = _lines(r"season replay, ([\d,]+) residents \((\w+)\)", out)
    s = _lines(r"season: (\d+) simulated days in ([\d.]+) s", out)
    if not (m and s):
        return []
    return [(f"{m[0][1]} residents ({m[0][2]}): season replay", f"{s[0][1]} days in {s[0][2]} s", "")]


def p_province(out: str) -> list[Figure]:
    pat = r"^(spark|polars)\s+([\d,]+) residents: wall ([\d.]+) s, CPU ([\d.]+) s, peak RSS (\d+) MiB, "
    pat += r"([\d,]+) residents/s"
    figs: list[Figure] = [
        (
            f"{m[2]} residents, 5 counties: `batch assess --engine {m[1]} --by county`",
            f"{m[3]} s wall, {m[6]}/s",
            "",
        )
        for m in _lines(pat, out)
    ]
    agree = _lines(r"summaries agree \(rows, assessed, total due\): (\w+)", out)
    if agree:
        figs.append(("spark and polars results", "agree" if agree[0][1] == "True" else "DIFFER", ""))
    return figs


def p_api(out: str) -> list[Figure]:
    pat = r"^(.*?(?:look-?up|payment)s?\b.*?)([\d,.]+) req/s.*?p99 ([\d.]+ ?m?s)"
    figs = [(m[1].strip(" :"), f"{m[2]} req/s, p99 {m[3]}", "") for m in _lines(pat, out)]
    cpu = r"^(lookup|payments): +server CPU per request: (.*)$"
    return figs + [(f"{m[1]}: CPU per request", m[2], "") for m in _lines(cpu, out)]


def _tmp(name: str) -> str:
    return "{tmp}/" + name


BENCHES = [
    Bench(
        "bench_openfisca.py",
        {"small": ["100000"], "county": ["1000000"], "full": ["1000000", "10000000"]},
        p_openfisca,
    ),
    Bench(
        "bench_batch.py",
        {
            "small": ["100000", "--repeat", "1", "--scalar-sample", "2000"],
            "county": ["1000000", "--scalar-sample", "5000"],
            "full": ["1000000", "10000000"],
        },
        p_batch,
    ),
    Bench(
        "bench_assess_engine.py",
        {"small": ["100000"], "county": ["1000000"], "full": ["1000000"]},
        p_assess_engine,
    ),
    Bench(
        "bench_quote.py",
        {"small": ["--n", "2000"], "county": ["--n", "20000"], "full": ["--n", "20000"]},
        p_quote,
    ),
    Bench(
        "bench_quote_process.py",
        {"small": ["--n", "3"], "county": ["--n", "10"], "full": ["--n", "10"]},
        p_quote_process,
    ),
    Bench(
        "bench_import.py",
        {
            s: ["--rows", n, "--dir", _tmp("import")]
            for s, n in (("small", "20000"), ("county", "1000000"), ("full", "1000000"))
        },
        p_import,
    ),
    Bench(
        "bench_import_db.py",
        {
            s: ["--rows", n, "--dir", _tmp("import_db")]
            for s, n in (("small", "20000"), ("county", "1000000"), ("full", "1000000"))
        },
        p_import_db,
    ),
    Bench(
        "bench_campaign.py",
        {
            "small": ["--residents", "10000", "--payments", "10000", "--backend", "both"],
            "county": ["--residents", "1000000", "--payments", "100000", "--backend", "both"],
            "full": ["--residents", "1000000", "--payments", "1000000", "--backend", "both"],
        },
        p_campaign,
    ),
    Bench(
        "bench_schools.py",
        {
            "small": ["--residents", "10000", "--pupils", "500", "--backend", "both"],
            "county": ["--residents", "1000000", "--backend", "both"],
            "full": ["--residents", "1000000", "--backend", "both"],
        },
        p_schools,
    ),
    Bench("bench_fieldwork.py", {"small": ["0.005"], "county": ["1.0"], "full": ["1.0"]}, p_fieldwork),
    Bench(
        "bench_progress.py",
        {
            "small": ["20000", "--repeat", "1", "--db", "sqlite:///{tmp}/progress.db"],
            "county": ["1141677", "--pg-name", "urrbmi_bench_progress_runall"],
            "full": ["1141677", "--pg-name", "urrbmi_bench_progress_runall"],
        },
        p_progress,
    ),
    Bench(  # on the database bench_progress.py just filled
        "bench_pages.py",
        {
            "small": ["--db", "sqlite:///{tmp}/progress.db"],
            "county": ["--db", f"{PG}/urrbmi_bench_progress_runall"],
            "full": ["--db", f"{PG}/urrbmi_bench_progress_runall", "--repeat", "3"],
        },
        p_pages,
    ),
    Bench(  # the same database: the lists for action downloaded as Excel, county and town
        "bench_exports.py",
        {
            "small": ["--db", "sqlite:///{tmp}/progress.db"],
            "county": ["--db", f"{PG}/urrbmi_bench_progress_runall"],
            "full": ["--db", f"{PG}/urrbmi_bench_progress_runall"],
        },
        p_exports,
    ),
    Bench(
        "bench_season.py",
        {
            "small": ["--scale", "0.002", "--every", "14"],
            "county": ["--scale", "1.0"],
            "full": ["--scale", "1.0"],
        },
        p_season,
    ),
    Bench(
        "bench_spark_province.py",
        {"small": ["20000"], "county": ["1000000"], "full": ["10000000"]},
        p_province,
    ),
    Bench(
        "bench_api.py",
        {
            "small": ["--scale", "0.01", "--duration", "5"],
            "county": ["--scale", "1.0"],
            "full": ["--scale", "1.0"],
        },
        p_api,
        needs="wrk",
    ),
]


def run(b: Bench, scale: str, log_dir: Path) -> dict[str, object]:
    args = [a.replace("{tmp}", str(log_dir)) for a in b.args[scale]]
    cmd = [sys.executable, str(HERE / b.name), *args]
    shown = " ".join(["bench/" + b.name, *b.args[scale]])
    load = os.getloadavg()[0]
    if b.needs and shutil.which(b.needs) is None:
        hint = f" (apt-get install {b.needs})" if b.needs == "wrk" else ""
        return {"bench": b.name, "cmd": shown, "skipped": f"{b.needs} not installed{hint}", "load": load}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = log_dir / f"{b.name}.log"
    t = time.perf_counter()
    with open(log, "w") as f:
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    out = log.read_text(errors="replace")
    rc = os.waitstatus_to_exitcode(status)
    figs = b.parse(out) if rc == 0 else []
    return {
        "bench": b.name,
        "cmd": shown,
        "rc": rc,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "load": load,
        "figures": figs,
        "log": str(log),
    }


def table(
    results: list[dict[str, object]],
    scale: str,
    started: dt.datetime,
    loads: tuple[float, float],
    only: list[str] | None = None,
) -> str:
    cores = os.cpu_count()
    lines = [
        "# Performance",
        "",
        "Written by `bench/run_all.py` (issue 19 item 5); re-run it rather than editing by hand:",
        "",
        f"    PYTHONPATH=$PWD .venv/bin/python bench/run_all.py --scale {scale}",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC (machine clock); scale `{scale}`",
        f"- machine: {cores} cores, Python {sys.version.split()[0]}; load average (1 min) "
        f"{loads[0]:.1f} before, {loads[1]:.1f} after (other work shares the machine: wall times "
        "are upper bounds, CPU times are the steadier figure)",
        "- *run*: the benchmark process's wall time and CPU (user + sys, its children included), and "
        "the load average when it started. Ratios in the figures: below 1 means urrbmi uses less.",
        *(
            [f"- this run: only {', '.join(only)}; the other rows are kept from the previous table"]
            if only
            else []
        ),
        "- `small` checks that every benchmark runs and gives the order of magnitude; issue 19's goals "
        "are stated at 1 M / 10 M residents (`--scale county` / `full`).",
        "",
        "| benchmark | measure | figure | ratio / goal |",
        "|---|---|---|---|",
    ]
    for r in results:
        name = f"`{r['bench']}`"
        if "rows" in r:  # kept from the last table (--only)
            lines += r["rows"]  # type: ignore[arg-type]
            continue
        if "skipped" in r:
            lines.append(f"| {name} | not run | {r['skipped']} | |")
            continue
        state = "ok" if r["rc"] == 0 else f"FAILED (exit {r['rc']}, log {r['log']})"
        lines.append(
            f"| {name} | run: `{r['cmd']}` | {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU, "
            f"load {r['load']:.1f} | {state} |"
        )
        figs = r["figures"]
        assert isinstance(figs, list)
        if r["rc"] == 0 and not figs:
            lines.append(f"| {name} | no figures parsed | see {r['log']} | |")
        for measure, value, note in figs:
            lines.append(f"| {name} | {measure} | {value} | {note} |")
    lines += [
        "",
        "Not benchmarks, not run: `profile_lookup.py`, `profile_payment.py` (profilers); "
        "`cpu_per_lookup.sh` (needs wrk and a `bench_api.py` database).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", choices=("small", "county", "full"), default="small")
    ap.add_argument("--only", nargs="*", help="benchmark file names (default: all)")
    ap.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    ap.add_argument("--log-dir", type=Path, default=None)
    a = ap.parse_args()
    log_dir = a.log_dir or Path(tempfile.gettempdir()) / f"urrbmi-run-all-{a.scale}"
    log_dir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    load0 = os.getloadavg()[0]
    earlier = a.output.read_text().splitlines() if a.only and a.output.exists() else []
    results: list[dict[str, object]] = []
    for b in BENCHES:
        if a.only and b.name not in a.only:  # keep its rows from the last table
            rows = [line for line in earlier if line.startswith(f"| `{b.name}` |")]
            if rows:
                results.append({"bench": b.name, "rows": rows})
            continue
        print(f"{b.name} ...", flush=True)
        r = run(b, a.scale, log_dir)
        results.append(r)
        detail = r.get("skipped") or f"exit {r['rc']}, {r['wall']:.1f} s, {len(r['figures'])} figures"  # type: ignore[arg-type]
        print(f"  {detail}", flush=True)
    a.output.write_text(table(results, a.scale, started, (load0, os.getloadavg()[0]), a.only))
    print(f"wrote {a.output}")


if __name__ == "__main__":
    main()
