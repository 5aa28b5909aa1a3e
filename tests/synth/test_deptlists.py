"""Generated county directories: files, determinism, and every injected fault found by the
importer exactly where the manifest says (and nothing else flagged)."""

import csv
import hashlib
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from urrbmi import ids
from urrbmi.imports.check import check_file, load_regions
from urrbmi.interfaces.cli import main
from urrbmi.synth import DEFAULT_AS_OF
from urrbmi.synth.build import generate
from urrbmi.synth.deptlists import FAULTS

SOURCES = {
    "民政": "minzheng",
    "乡村振兴": "xiangcun",
    "残联": "canlian",
    "退役军人": "tuiyijunren",
    "卫健": "weijian",
    "教育": "jiaoyu",
    "公安": "gongan",
    "人社": "renshe",
}


@pytest.fixture(scope="module")
def county_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("county")
    generate(out, scale=0.004, seed=21, workers=1, fault_rate=0.01)
    return out


def faults(out: Path) -> dict[str, dict[int, str]]:
    found: dict[str, dict[int, str]] = defaultdict(dict)
    with (out / "faults.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            found[r["file"]][int(r["row"])] = r["kind"]
    return found


def list_files(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.name.split("_")[0] in SOURCES and "错误报告" not in p.name)


def test_directory_contents(county_dir: Path) -> None:
    out = county_dir
    names = {p.name for p in out.iterdir()}
    assert {"regions.csv", "residents.csv", "faults.csv", "summary.json"} <= names
    files = list_files(out)
    assert {p.name.split("_")[0] for p in files} == set(SOURCES)
    assert {p.suffix for p in files} == {".csv", ".xlsx", ".xls"}
    with (out / "residents.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == round(1_141_677 * 0.004)
    assert all(ids.is_valid(r["id_number"]) for r in rows)


@pytest.mark.parametrize("prefix", sorted(SOURCES))
def test_importer_finds_exactly_the_injected_faults(county_dir: Path, prefix: str) -> None:
    out = county_dir
    (path,) = [p for p in list_files(out) if p.name.startswith(prefix + "_")]
    batch = check_file(path, SOURCES[prefix], as_of=DEFAULT_AS_OF, regions=load_regions(out / "regions.csv"))
    injected = faults(out)[path.name]
    if batch.counts.data_rows >= 20:
        assert injected, "every list of 20 rows or more gets faults"
    expected_invalid = {row for row, kind in injected.items() if FAULTS[kind] == "invalid"}
    assert {r.row for r in batch.invalid} == expected_invalid, [(r.row, r.problems) for r in batch.invalid]
    assert {d.row for d in batch.duplicates} == {row for row, k in injected.items() if k == "duplicate_row"}
    conflicted = {r.row for c in batch.conflicts for r in c.rows}
    for row, kind in injected.items():
        if kind == "conflicting_name":
            assert {row - 1, row} <= conflicted
        elif FAULTS[kind] == "valid":
            assert row in {r.row for r in batch.rows}, (row, kind)
    assert batch.counts.blank == sum(k == "blank_line" for k in injected.values())
    assert all(r.category is not None for r in batch.rows) or SOURCES[prefix] in (
        "jiaoyu",
        "gongan",
        "renshe",
    )


def test_same_seed_same_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, scale=0.001, seed=4, workers=1)
    generate(b, scale=0.001, seed=4, workers=2)  # the number of processes does not matter
    digest = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in a.iterdir() if p.name != "summary.json"
    }
    assert digest == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in b.iterdir() if p.name != "summary.json"
    }
    c = tmp_path / "c"
    generate(c, scale=0.001, seed=5, workers=1)
    assert (c / "residents.csv").read_bytes() != (a / "residents.csv").read_bytes()


def test_cli_synth_county(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main, ["synth", "county", "--scale", "0.001", "--seed", "1", "--out", str(tmp_path), "--workers", "1"]
    )
    assert res.exit_code == 0, res.output
    assert "居民 residents: 1,142" in res.output
    assert (tmp_path / "residents.csv").exists() and (tmp_path / "regions.csv").exists()
    bad = CliRunner().invoke(main, ["synth", "county", "--scale", "0", "--out", str(tmp_path)])
    assert bad.exit_code == 2


@pytest.mark.slow
def test_suixi_full_size_directory(tmp_path: Path) -> None:
    summary = generate(tmp_path, scale=1.0, seed=1)
    assert summary.residents == 1_141_677 and summary.towns == 12
    with (tmp_path / "residents.csv").open(encoding="utf-8") as f:
        numbers = [line.split(",", 1)[0] for line in f][1:]
    assert len(numbers) == len(set(numbers)) == 1_141_677
