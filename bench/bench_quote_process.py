"""Benchmark: one `urrbmi quote` process for one resident — CPU (user + system) and peak memory.

Run: .venv/bin/python bench/bench_quote_process.py [--n 10] [--policy suixi-2022] [--id] [--profile]

Starts ``python -m urrbmi quote`` N times (after one warm-up run that writes the bytecode, as an
installed package has it) and reports, per process, the CPU time and the peak resident set size
from the child's ``rusage`` (``os.wait4``) (min / median / max over the runs), plus which heavy
libraries the process imported (none should be: SQLAlchemy, FastAPI, openpyxl, Polars, argon2).
``--profile`` adds the largest imports by ``python -X importtime`` (self time, µs). ``--id`` gives
the resident an ID number instead of a birth date (python-stdnum is then loaded to check it). The
warm-up run also fills the validated-policy cache (``urrbmi/policy/store.py``), as any earlier
quote of the same policy file would; ``--cold`` empties the cache before every run (a fresh
``URRBMI_CACHE_DIR``), the cost of the first quote after a policy file or the package changed.
The in-process cost of a quote is bench/bench_quote.py. The target (issue 17): ≤ 0.3 s CPU and
≤ 60 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESIDENT = {"paid_on": "2021-11-01", "birth_date": "1975-03-02", "categories": ["低保对象"]}
WITH_ID = {"paid_on": "2021-11-01", "id_number": "340621197503020017", "categories": ["低保对象"]}
HEAVY = ("sqlalchemy", "fastapi", "openpyxl", "polars", "argon2", "matplotlib", "alembic", "pyarrow")


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: bytecode cached
    return env


def one_run(cmd: list[str], stdin: str, cold: bool = False) -> tuple[float, float]:
    """(CPU seconds, peak RSS MiB) of one child process (its own rusage, from wait4)."""
    if cold:  # an empty validated-policy cache for this run
        shutil.rmtree(os.environ["URRBMI_CACHE_DIR"], ignore_errors=True)
    pid = os.fork()
    if pid == 0:  # the child: stdin from a pipe, stdout to /dev/null, then exec
        r, w = os.pipe()
        os.write(w, stdin.encode())
        os.close(w)
        os.dup2(r, 0)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execve(cmd[0], cmd, _env())
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux: KiB


def imported_heavy(policy: str, resident: Mapping[str, object]) -> list[str]:
    code = (
        "import sys; from urrbmi.interfaces.cli import main; "
        f"main(['quote', '--policy', {policy!r}], standalone_mode=False); "
        f"print('\\nHEAVY:' + ' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(resident),
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("HEAVY:"))
    return line.removeprefix("HEAVY:").split()


def profile(cmd: list[str], stdin: str, top: int = 15) -> list[tuple[int, str]]:
    err = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]], input=stdin, capture_output=True, text=True, env=_env()
    ).stderr
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line and "self" not in line:
            self_us, _cum, name = line[len("import time:") :].split("|")
            rows.append((int(self_us), name.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--policy", default="suixi-2022")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--id", action="store_true", help="an ID number instead of a birth date")
    ap.add_argument("--cold", action="store_true", help="empty the validated-policy cache every run")
    args = ap.parse_args()
    if args.cold:  # a cache of our own to empty, never the user's
        os.environ["URRBMI_CACHE_DIR"] = tempfile.mkdtemp(prefix="urrbmi-bench-cache-")
    resident = WITH_ID if args.id else RESIDENT
    cmd = [sys.executable, "-m", "urrbmi", "quote", "--policy", args.policy]
    stdin = json.dumps(resident, ensure_ascii=False)
    one_run(cmd, stdin)  # warm-up: bytecode written (and the policy cache filled)
    runs = [one_run(cmd, stdin, args.cold) for _ in range(args.n)]
    cpu = sorted(r[0] for r in runs)
    rss = sorted(r[1] for r in runs)
    load = os.getloadavg()[0]
    how = ("ID number" if args.id else "birth date") + (", cold policy cache" if args.cold else "")
    print(f"urrbmi quote --policy {args.policy} ({how}): {args.n} processes, load average {load:.1f}")
    print(f"  CPU (user+sys) s: min {cpu[0]:.3f}  median {statistics.median(cpu):.3f}  max {cpu[-1]:.3f}")
    print(f"  peak RSS MiB:     min {rss[0]:.1f}  median {statistics.median(rss):.1f}  max {rss[-1]:.1f}")
    heavy = imported_heavy(args.policy, resident)
    print(f"  heavy libraries imported: {', '.join(heavy) or 'none'}")
    if args.profile:
        print("  largest imports (self µs, python -X importtime):")
        for us, name in profile(cmd, stdin):
            print(f"    {us:8d}  {name}")


if __name__ == "__main__":
    try:
        main()
    finally:
        if "urrbmi-bench-cache-" in os.environ.get("URRBMI_CACHE_DIR", ""):  # --cold's own
            shutil.rmtree(os.environ["URRBMI_CACHE_DIR"], ignore_errors=True)
