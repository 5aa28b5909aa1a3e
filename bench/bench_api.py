"""Load benchmark of the REST API's two deadline-rush hot paths, with wrk on loopback.

    .venv/bin/python bench/bench_api.py --scale 0.1 --workers 2 --connections 16 --duration 20

1. builds a PostgreSQL database ``urrbmi_bench_api`` (dropped first; kept afterwards for
   inspection unless ``--drop``) with a synthetic Suixi county (``urrbmi.synth``, ``--scale`` of
   1,141,677 residents), a campaign (suixi-2022) assessed as of 2021-11-15, and a bureau officer
   account with a bearer token;
2. starts ``uvicorn`` (``--workers`` processes, access log off) on 127.0.0.1;
3. runs wrk with ``bench/wrk/lookup.lua`` (POST /api/v1/residents/lookup over random residents)
   and then ``bench/wrk/payments.lua`` (POST /api/v1/campaigns/{id}/payments, each request a
   different resident with the exact amount due and a unique reference);
4. prints wrk's summary, requests/s and the p99 latency of each, the CPU time per request of the
   uvicorn workers, of the database's PostgreSQL backends and of wrk (utime + stime from /proc
   before and after each run), and the payments' outcome in the ledger (accepted / held).
   Nothing is asserted; figures go to docs/api.md and docs/performance.md.

Needs ``wrk`` (Debian/Ubuntu: ``apt-get install wrk``; macOS: ``brew install wrk``); without it
the bench says so, in Chinese and English, and exits 2 before building anything.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from urrbmi.access import accounts
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign
from urrbmi.db.models import Assessment, Enrollment, Payment, Resident
from urrbmi.db.session import get_engine, session_scope, upgrade
from urrbmi.money import fmt, from_fen
from urrbmi.synth import County
from urrbmi.synth.load import load_county

HERE = Path(__file__).parent
AS_OF = "2021-11-15"
SERVER = "postgresql+psycopg://postgres@127.0.0.1/postgres"


def build(url: str, scale: float) -> tuple[int, str, int]:
    """Load the county, assess, make the account; returns (campaign id, token, residents)."""
    import datetime as dt

    upgrade(url)
    engine = get_engine(url)
    county = County.suixi(scale=scale, seed=11)
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        n = load_county(s, county, actor="bench", province=("340000", "安徽省"))
        c = create_campaign(s, "suixi-2022", county.tree.county.code, actor="bench")
        cid = c.id
    with session_scope(engine) as s:
        s.execute(text("ANALYZE"))
    with session_scope(engine) as s:
        from urrbmi.campaign.campaigns import get_campaign

        assess(s, get_campaign(s, cid), dt.date.fromisoformat(AS_OF), actor="bench")
    with session_scope(engine) as s:
        s.execute(text("ANALYZE"))
    print(f"loaded {n} residents and assessed them in {time.perf_counter() - t0:.0f} s", flush=True)
    with session_scope(engine) as s:
        accounts.create_user(
            s, "bench_officer", "bench-password-1", "bureau_officer", county.tree.county.code, actor="bench"
        )
    token = accounts.login(engine, "bench_officer", "bench-password-1", "token").token
    return cid, token, n


def files(url: str, cid: int, workdir: Path) -> tuple[Path, Path, int]:
    engine = get_engine(url)
    with engine.connect() as conn:
        numbers = [r[0] for r in conn.execute(select(Resident.id_number).order_by(Resident.id))]
        rows = conn.execute(
            select(Resident.id_number, Assessment.total_due_fen)
            .join(Assessment, Assessment.resident_id == Resident.id)
            .where(
                Assessment.campaign_id == cid,
                Assessment.status == "due",
                Assessment.resident_id.not_in(
                    select(Enrollment.resident_id).where(
                        Enrollment.campaign_id == cid, Enrollment.status == "enrolled"
                    )
                ),
            )
            .order_by(func.random())
        ).all()
    due = [(n, f) for n, f in rows if f is not None]
    ids_file = workdir / "ids.txt"
    ids_file.write_text("\n".join(numbers) + "\n")
    pay_file = workdir / "payments.txt"
    pay_file.write_text("".join(f"{n},{fmt(from_fen(f))}\n" for n, f in due))
    return ids_file, pay_file, len(due)


def wait_up(port: int, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/policies", timeout=2).read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("server did not start")


def need_wrk() -> None:
    """Refuse to start without wrk: a bilingual message and exit 2, not a traceback."""
    if shutil.which("wrk") is None:
        print(
            "未安装负载测试工具 wrk，无法运行本基准；请先安装：apt-get install wrk（Debian/Ubuntu）"
            "或 brew install wrk（macOS）\n"
            "wrk (the load generator) is not installed; install it first: apt-get install wrk "
            "(Debian/Ubuntu) or brew install wrk (macOS)",
            file=sys.stderr,
        )
        raise SystemExit(2)


TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """utime + stime of a process in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # fields 14 and 15 of stat(5)


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _backends(database: str) -> list[int]:
    """PostgreSQL backends connected to ``database`` (their process title names it)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            title = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            out.append(int(d.name))
    return out


def cpu_snapshot(server: int, database: str) -> dict[str, dict[int, float]]:
    return {
        "workers": {p: _cpu_of(p) for p in _children(server) or [server]},  # --workers 1: in-process
        "postgres": {p: _cpu_of(p) for p in _backends(database)},
    }


def cpu_used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    """CPU seconds spent between two snapshots (a process that appeared counts whole; one that
    ended in between is lost: the pool keeps its connections, so few do)."""
    return {k: sum(v - before[k].get(p, 0.0) for p, v in after[k].items()) for k in after}


def run_wrk(script: str, env: dict[str, str], args: argparse.Namespace, port: int) -> dict[str, str]:
    cmd = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--latency",
        "--timeout",
        "30s",  # wrk's default (2 s) drops slower requests from the latency figures
        "-s",
        str(HERE / "wrk" / script),
        f"http://127.0.0.1:{port}",
    ]
    print("$", " ".join(cmd), flush=True)
    cpu0 = cpu_snapshot(int(env["BENCH_SERVER_PID"]), env["BENCH_DATABASE"])
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, check=True).stdout
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = cpu_used(cpu0, cpu_snapshot(int(env["BENCH_SERVER_PID"]), env["BENCH_DATABASE"]))
    print(out, flush=True)
    done = re.search(r"(\d+) requests in", out)
    n = int(done.group(1)) if done else 0
    wrk_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)

    def per(seconds: float) -> str:
        return f"{1000 * seconds / n:.2f} ms" if n else "?"

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out)
    p50 = re.search(r"\s50%\s+([\d.]+\w+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    return {
        "rps": rps.group(1) if rps else "?",
        "p50": p50.group(1) if p50 else "?",
        "p99": p99.group(1) if p99 else "?",
        "non2xx": non2xx.group(1) if non2xx else "0",
        "timeouts": timeouts.group(1) if timeouts else "0",
        "cpu": f"server CPU per request: workers {per(used['workers'])}, postgres "
        f"{per(used['postgres'])}, wrk {per(wrk_cpu)}; total "
        f"{per(used['workers'] + used['postgres'] + wrk_cpu)}",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--port", type=int, default=18081)
    ap.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    ap.add_argument("--name", default="urrbmi_bench_api", help="database name")
    ap.add_argument("--drop", action="store_true", help="drop the database at the end")
    args = ap.parse_args()
    need_wrk()
    server = make_url(os.environ.get("URRBMI_TEST_PG_URL") or SERVER)
    name = args.name
    url = server.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    if not args.reuse:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        cid, token, n = build(url, args.scale)
    else:
        with session_scope(get_engine(url)) as s:
            cid = int(s.scalar(text("SELECT min(id) FROM campaigns")) or 0)
            n = int(s.scalar(text("SELECT count(*) FROM residents")) or 0)
        token = accounts.login(get_engine(url), "bench_officer", "bench-password-1", "token").token
    work = Path(tempfile.mkdtemp(prefix="urrbmi-bench-api-"))
    ids_file, pay_file, n_due = files(url, cid, work)
    env = {**os.environ, "URRBMI_DATABASE_URL": url}
    server_cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "urrbmi.interfaces.api:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(args.port),
        "--workers",
        str(args.workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(server_cmd, env=env)
    try:
        wait_up(args.port)
        common = {"BENCH_TOKEN": token, "BENCH_SERVER_PID": str(proc.pid), "BENCH_DATABASE": name}
        look = run_wrk("lookup.lua", {**common, "BENCH_IDS": str(ids_file)}, args, args.port)
        with get_engine(url).connect() as conn:
            before = int(conn.scalar(select(func.count()).select_from(Payment)) or 0)
        pay = run_wrk(
            "payments.lua",
            {
                **common,
                "BENCH_PAYMENTS": str(pay_file),
                "BENCH_CAMPAIGN": str(cid),
                "BENCH_PAID_ON": AS_OF,
                "BENCH_THREADS": str(args.threads),
                "BENCH_RUN": f"B{int(time.time())}",
            },
            args,
            args.port,
        )
        with get_engine(url).connect() as conn:
            outcome = dict(conn.execute(select(Payment.status, func.count()).group_by(Payment.status)).all())
            after = int(conn.scalar(select(func.count()).select_from(Payment)) or 0)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(
        f"residents {n}, due {n_due}, uvicorn workers {args.workers}, wrk -t{args.threads} "
        f"-c{args.connections} -d{args.duration}s"
    )
    print(
        f"lookup:   {look['rps']} req/s, p50 {look['p50']}, p99 {look['p99']}, "
        f"non-2xx {look['non2xx']}, timeouts {look['timeouts']}"
    )
    print(f"lookup:   {look['cpu']}")
    print(
        f"payments: {pay['rps']} req/s, p50 {pay['p50']}, p99 {pay['p99']}, non-2xx {pay['non2xx']}, "
        f"timeouts {pay['timeouts']}; "
        f"{after - before} payments recorded; ledger now {outcome}"
    )
    print(f"payments: {pay['cpu']}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (1 min)")
    get_engine(url).dispose()
    if args.drop:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
