"""Benchmark: urrbmi's batch engine against the OpenFisca peer, same inputs, same rules (issue 19 item 3).

Run: PYTHONPATH=$PWD .venv/bin/python bench/bench_openfisca.py [N ...] [--peer-python PY] [--json FILE]
     e.g. bench/bench_openfisca.py 1000000 10000000

The peer (/work/shared/peers/openfisca-qianjiang, or $OFPEER_DIR) holds the Qianjiang 2022 rules
as an OpenFisca model and in plain numpy, over random inputs from a fixed seed
($TMPDIR/ofpeer-inputs-N.npz, written by its inputs.py when absent). Per N, each engine runs in a
fresh process (so its peak RSS is its own), on the same loaded arrays:

- ``openfisca``: the peer's bench.py steps (build_default_simulation + set_input, calculate of
  total_due, benefit_start_day, subsidy), run by ``--peer-python`` (a venv with the peer's
  requirements.txt; default $OFPEER_PYTHON or /tmp/bench-ofpeer-venv/bin/python). Skipped, and
  said so, when that interpreter has no openfisca_core.
- ``numpy``: the peer's numpy_baseline.compute (the practical single-threaded limit).
- ``urrbmi``: the arrays as a residents table (build: Polars columns, paid_on as a date,
  categories as the identity bitmask, college as ``student``), then
  :func:`urrbmi.batch.assess_frame` with the compiled plan, under two policies:
  ``qianjiang-2022`` as shipped, and the test copy bench/policies/qianjiang-2022-peer.yaml with
  the two rules on which the peer differs changed to its reading (centralized payers covered from
  the payment day; college students' benefit period the calendar year, not the academic year).
  Both ask for the peer's three outputs (``columns=``: total_due, subsidy, benefit_start, and
  error); ``urrbmi-all-outputs`` is the shipped policy computing all 18 outputs.

Figures per engine: build and compute CPU seconds (``time.process_time``: all threads of the
process, so Polars' parallelism is not counted as a gain on a shared machine) and wall seconds,
peak RSS of the process (whole process, inputs included, as the peer reports it). Checksums as the
peer's common.checksums: on the test copy every output of every person must agree (digest); on
the shipped policy the three outputs must agree where the two readings mean the same: residents
who are not college students and did not pay 2022-01-01..2022-02-28 (college students have the
academic year as benefit period, and those paying after 2022-06-02 none left: refused).

The last line of output is one JSON object per N (``RESULT {...}``) for bench/run_all.py.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEER = Path(os.environ.get("OFPEER_DIR", "/work/shared/peers/openfisca-qianjiang"))
PEER_POLICY = HERE / "policies" / "qianjiang-2022-peer.yaml"
DEFAULT_PEER_PY = os.environ.get("OFPEER_PYTHON", "/tmp/bench-ofpeer-venv/bin/python")

# peer flag -> urrbmi identity code
CATEGORY_CODES = {
    "tekun": "tekun",
    "dibao": "dibao",
    "dibao_edge": "dibao_edge",
    "returned_to_poverty": "relapsed_poverty",
    "unstable": "unstable_out_of_poverty",
    "edge_of_poverty": "edge_of_poverty",
    "sudden_hardship": "sudden_hardship",
    "severe_disability": "severe_disability",
    "priority_entitled": "priority_entitled",
    "needy_college": "needy_college_student",
    "illness_poverty": "illness_poverty_patient",
    "stable_out_of_poverty": "stable_out_of_poverty",
}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _clock() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def _since(t: tuple[float, float]) -> tuple[float, float]:
    c, w = _clock()
    return c - t[0], w - t[1]


# --- children (one engine per process) -------------------------------------------------------


def child(engine: str, n: int, out_path: str) -> dict[str, Any]:
    sys.path.insert(0, str(PEER))
    import inputs  # the peer's
    import numpy as np

    data = inputs.load(inputs.path_for(n))
    if engine == "numpy":
        import numpy_baseline

        t = _clock()
        d = {k: np.ascontiguousarray(v) for k, v in data.items()}
        d["paid_on"] = d["paid_on"].astype(np.int32, copy=False)
        build = _since(t)
        t = _clock()
        out = numpy_baseline.compute(d)
        compute = _since(t)
        res = (out["total_due"], out["subsidy"], out["benefit_start_day"])
    elif engine == "openfisca":
        import qianjiang_medins
        from openfisca_core.simulation_builder import SimulationBuilder

        tbs = qianjiang_medins.CountryTaxBenefitSystem()
        t = _clock()
        sim = SimulationBuilder().build_default_simulation(tbs, n)
        for name in inputs.NAMES:
            sim.set_input(name, "2022", data[name])
        build = _since(t)
        t = _clock()
        r = {name: sim.calculate(name, "2022") for name in ("total_due", "benefit_start_day", "subsidy")}
        compute = _since(t)
        res = (r["total_due"], r["subsidy"], r["benefit_start_day"])
    else:
        res, build, compute = _urrbmi(engine, data)
    peak = _peak_mib()
    np.savez(out_path, total_due=res[0], subsidy=res[1], benefit_start_day=res[2])
    return {
        "build_cpu_s": build[0],
        "build_wall_s": build[1],
        "compute_cpu_s": compute[0],
        "compute_wall_s": compute[1],
        "peak_rss_mib": peak,
    }


def _urrbmi(engine: str, data: dict[str, Any]) -> tuple[tuple[Any, Any, Any], Any, Any]:
    import datetime as dt

    import numpy as np
    import polars as pl

    from urrbmi.batch import assess_frame
    from urrbmi.policy import load_policy
    from urrbmi.policy.identities import all_identities
    from urrbmi.policy.loader import load_policy_file

    policy = load_policy_file(PEER_POLICY) if engine == "urrbmi-peer-copy" else load_policy("qianjiang-2022")
    # the peer computes three outputs: ask for those (and error); urrbmi-all-outputs computes all 18
    columns = (
        None if engine == "urrbmi-all-outputs" else ["error", "subsidy_fen", "total_due_fen", "benefit_start"]
    )
    bits = {c.code: i for i, c in enumerate(all_identities().categories)}
    day0 = dt.date(2021, 12, 1)
    epoch_day0 = (day0 - dt.date(1970, 1, 1)).days
    t = _clock()
    mask = np.zeros(len(data["paid_on"]), dtype=np.int64)
    for flag, code in CATEGORY_CODES.items():
        mask |= data[flag].astype(np.int64) << bits[code]
    residents = pl.DataFrame(
        {
            "paid_on": (pl.Series(data["paid_on"]).cast(pl.Int32) + epoch_day0).cast(pl.Date),
            "tier": data["tier"],
            "student": np.where(data["is_college_student"], 2, 0).astype(np.int8),
            "residence": np.zeros(len(mask), dtype=np.int8),  # hukou
            "categories": mask,
        }
    )
    del mask
    build = _since(t)
    t = _clock()
    out = assess_frame(residents, policy, engine="plan", columns=columns)
    compute = _since(t)
    if engine == "urrbmi-peer-copy":
        assert out["error"].null_count() == out.height, out["error"].value_counts()
    # shipped policy: college students paying after 2022-06-02 have no benefit period left in
    # their academic year (error no_benefit_period, null amounts): 0 here, outside the comparison
    start = (out["benefit_start"].cast(pl.Int32) - epoch_day0).fill_null(0).to_numpy()
    money = [out[c].fill_null(0).to_numpy() for c in ("total_due_fen", "subsidy_fen")]
    return (money[0], money[1], start), build, compute


# --- parent -----------------------------------------------------------------------------------


def _checksums(total_due: Any, subsidy: Any, start: Any) -> dict[str, Any]:
    sys.path.insert(0, str(PEER))
    from common import checksums  # the peer's

    return checksums(total_due, subsidy, start)  # type: ignore[no-any-return]


def _run(python: str, engine: str, n: int, tmp: str) -> tuple[dict[str, Any], Any]:
    import numpy as np

    out = os.path.join(tmp, f"{engine}.npz")
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    cmd = [python, str(Path(__file__).resolve()), "--child", engine, str(n), "--out", out]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if p.returncode:
        raise RuntimeError(f"{engine} failed:\n{p.stderr[-3000:]}")
    row = json.loads(p.stdout.strip().splitlines()[-1])
    with np.load(out) as z:
        arrays = {k: z[k] for k in z.files}
    os.unlink(out)
    return row, arrays


def measure(n: int, peer_python: str | None) -> dict[str, Any]:
    import numpy as np

    sys.path.insert(0, str(PEER))
    import inputs

    if not os.path.exists(inputs.path_for(n)):
        inputs.save(inputs.generate(n), inputs.path_for(n))
    with np.load(inputs.path_for(n)) as z:
        college = z["is_college_student"]
        paid_on = z["paid_on"]
    same = ~college & ((paid_on < 31) | (paid_on >= 90))

    engines = ["numpy", "urrbmi", "urrbmi-peer-copy", "urrbmi-all-outputs"]
    if peer_python:
        engines.insert(0, "openfisca")
    rows: dict[str, dict[str, Any]] = {}
    outs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-openfisca-") as tmp:
        for e in engines:
            rows[e], outs[e] = _run(
                peer_python if e == "openfisca" and peer_python else sys.executable, e, n, tmp
            )
    ref = outs["numpy"]
    for e in engines:
        o = outs[e]
        rows[e]["checksums"] = _checksums(o["total_due"], o["subsidy"], o["benefit_start_day"])
        rows[e]["checksums_same_meaning"] = _checksums(*(np.where(same, o[k], 0) for k in ref))
        rows[e]["rows_differing"] = {
            k: int((o[k].astype(np.int64) != ref[k].astype(np.int64)).sum()) for k in ref
        }
    peer = "openfisca" if "openfisca" in rows else "numpy"
    result: dict[str, Any] = {"n": n, "peer": peer, "engines": rows}
    for e in ("urrbmi", "urrbmi-peer-copy", "urrbmi-all-outputs"):
        for p in {peer, "numpy"}:
            u, r = rows[e], rows[p]
            result[f"{e}_vs_{p}"] = {
                "cpu_ratio": (u["build_cpu_s"] + u["compute_cpu_s"])
                / (r["build_cpu_s"] + r["compute_cpu_s"]),
                "compute_cpu_ratio": u["compute_cpu_s"] / r["compute_cpu_s"],
                "memory_ratio": u["peak_rss_mib"] / r["peak_rss_mib"],
            }
    result["agree_peer_copy_digest"] = rows["urrbmi-peer-copy"]["checksums"] == rows[peer]["checksums"]
    result["agree_shipped_same_meaning"] = (
        rows["urrbmi"]["checksums_same_meaning"] == rows[peer]["checksums_same_meaning"]
    )
    return result


def _print(r: dict[str, Any]) -> None:
    print(f"\nN = {r['n']:,}   (peer: {r['peer']})")
    head = f"{'engine':18} {'build cpu s':>11} {'compute cpu s':>13} {'compute wall s':>14}"
    print(f"{head} {'peak RSS MiB':>12}  digest")
    for e, row in r["engines"].items():
        print(
            f"{e:18} {row['build_cpu_s']:11.3f} {row['compute_cpu_s']:13.3f} {row['compute_wall_s']:14.3f} "
            f"{row['peak_rss_mib']:12.0f}  {row['checksums']['digest']}  differing rows vs numpy "
            f"{row['rows_differing']}"
        )
    for k, v in r.items():
        if k.endswith(("_vs_openfisca", "_vs_numpy")):
            print(
                f"{k}: CPU (build+compute) x{v['cpu_ratio']:.2f}, compute CPU x{v['compute_cpu_ratio']:.2f}, "
                f"peak RSS x{v['memory_ratio']:.2f}   (below 1: urrbmi uses less)"
            )
    print(f"test copy agrees with the peer on every output (digest): {r['agree_peer_copy_digest']}")
    print(f"qianjiang-2022 agrees on what means the same: {r['agree_shipped_same_meaning']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[1_000_000])
    ap.add_argument("--peer-python", default=DEFAULT_PEER_PY)
    ap.add_argument("--json", help="append one JSON row per N to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.sizes[0], a.out)))
        return
    peer_python: str | None = a.peer_python
    ok = peer_python and subprocess.run(
        [peer_python, "-c", "import openfisca_core"], capture_output=True, check=False
    )
    if not ok or ok.returncode:
        print(f"openfisca-core not importable by {peer_python}: comparing with the peer's numpy version only")
        peer_python = None
    for n in a.sizes:
        r = measure(n, peer_python)
        _print(r)
        if a.json:
            with open(a.json, "a") as f:
                f.write(json.dumps(r) + "\n")
        print("RESULT " + json.dumps(r))


if __name__ == "__main__":
    main()
