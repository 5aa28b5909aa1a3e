"""Department lists (部门名单) drawn from a synthetic county, with the faults real lists have.

Each department sends its own layout: a title row, one- or two-row (merged) headers, its own
header words, its own file format and encoding. Faults are injected at a small rate (and at
least once each when a list is long enough), and every injected fault is recorded in a manifest
(file, row number as in the file, kind) so tests can check the importer against it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from urrbmi import ids
from urrbmi.policy.categories import vocabulary
from urrbmi.synth import names
from urrbmi.synth.county import Resident
from urrbmi.synth.regions import RegionTree

# Fault kinds and whether the importer must reject the row (True), report it as a duplicate or
# conflict, or accept it after normalisation (False).
FAULTS: dict[str, str] = {
    "bad_check_digit": "invalid",
    "bad_birth_date": "invalid",
    "short_id": "invalid",
    "missing_name": "invalid",
    "unknown_category": "invalid",
    "unknown_town": "invalid",
    "bad_date": "invalid",
    "duplicate_row": "duplicate",
    "conflicting_name": "conflict",
    "full_width_digits": "valid",
    "lower_x": "valid",
    "trailing_spaces": "valid",
    "blank_line": "blank",
}
_FULL = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@dataclass
class DeptList:
    source: str  # department key, as in urrbmi/imports/headers.yaml
    filename: str
    fmt: str  # "xlsx" | "xls-html" | "csv-gb18030" | "csv-utf8-bom" | "csv-utf8"
    title: str | None
    header: list[list[str]]  # one or two header rows
    merges: list[tuple[int, int, int, int]]  # header merges (row1, col1, row2, col2), 1-based in header
    rows: list[list[str]]  # data rows; [] is a blank line
    faults: list[tuple[int, str]] = field(default_factory=list)  # (index into rows, kind)

    @property
    def first_data_row(self) -> int:
        """The file row number (1-based) of rows[0]."""
        return (1 if self.title else 0) + len(self.header) + 1


@dataclass(frozen=True)
class _Column:
    header: str
    value: Callable[[Resident], str]
    role: str = ""  # "id" | "name" | "category" | "town" | "date" | ""


def _cn_sex(r: Resident) -> str:
    return "男" if r.sex == "M" else "女"


def department_lists(
    residents: Iterable[Resident], tree: RegionTree, seed: int, as_of: dt.date, fault_rate: float = 0.002
) -> list[DeptList]:
    """One list per department from the residents that department certifies."""
    voc = vocabulary()
    towns = {t.code: t.name for t in tree.towns}
    villages = {v.code: v.name for v in tree.villages}
    rng = random.Random(f"urrbmi-synth-lists:{seed}")
    month = f"{as_of.year}年{as_of.month}月"
    county = tree.county.name

    def town(r: Resident) -> str:
        return towns[r.town_code]

    def village(r: Resident) -> str:
        return villages[r.village_code]

    def since(r: Resident) -> str:
        # A certification date in the last few years (deterministic per person).
        days = int(r.id_number[10:17]) % 1500
        return dt.date.fromordinal(as_of.toordinal() - days).isoformat()

    def cat_of(dept: str, spelling: int = 0) -> Callable[[Resident], str]:
        def get(r: Resident) -> str:
            for code in r.categories:
                cat = voc.by_code[code]
                if cat.department == dept:
                    names_ = (cat.name, *cat.aliases)
                    return (
                        names_[(spelling + int(r.id_number[14:17])) % len(names_)] if spelling else cat.name
                    )
            return ""

        return get

    buckets: dict[str, list[Resident]] = {
        k: []
        for k in ("minzheng", "xiangcun", "canlian", "tuiyijunren", "weijian", "jiaoyu", "gongan", "renshe")
    }
    for r in residents:
        depts = {voc.by_code[c].department for c in r.categories}
        for d in ("minzheng", "xiangcun", "tuiyijunren", "weijian"):
            if d in depts and r.deceased_on is None:
                buckets[d].append(r)
        if "severe_disability" in r.categories and r.deceased_on is None:
            buckets["canlian"].append(r)
        if r.student in ("primary", "junior", "senior") and r.deceased_on is None:
            buckets["jiaoyu"].append(r)
        if r.deceased_on is not None or r.birth_date.toordinal() > as_of.toordinal() - 365:
            buckets["gongan"].append(r)
        if r.employee_insured and r.deceased_on is None:
            buckets["renshe"].append(r)

    grades = {"primary": "小学", "junior": "初中", "senior": "高中"}
    out: list[DeptList] = []

    # 民政: XLSX, a title, a merged two-row header.
    cols = [
        _Column("姓名", lambda r: r.name, "name"),
        _Column("性别", _cn_sex),
        _Column("身份证号码", lambda r: r.id_number, "id"),
        _Column("人员类别", cat_of("minzheng", 1), "category"),
        _Column("所属乡镇", town, "town"),
        _Column("村（社区）", village),
        _Column("认定时间", since, "date"),
    ]
    header = [
        ["序号", "基本信息", "", "", "人员类别", "居住地", "", "认定时间"],
        ["", "姓名", "性别", "身份证号码", "", "所属乡镇", "村（社区）", ""],
    ]
    merges = [(1, 1, 2, 1), (1, 2, 1, 4), (1, 5, 2, 5), (1, 6, 1, 7), (1, 8, 2, 8)]
    out.append(
        _build(
            rng,
            "minzheng",
            f"民政_{month}在册特困低保人员名单.xlsx",
            "xlsx",
            f"{county}{month}城乡特困、低保在册人员名单",
            header,
            merges,
            cols,
            buckets["minzheng"],
            fault_rate,
            numbered=True,
        )
    )

    # 乡村振兴: CSV in GB18030 (saved from Excel on a Chinese Windows), no title.
    cols = [
        _Column("乡镇", town, "town"),
        _Column("行政村", village),
        _Column("户编号", lambda r: r.household_id),
        _Column("姓名", lambda r: r.name, "name"),
        _Column("证件号码", lambda r: r.id_number, "id"),
        _Column("与户主关系", lambda r: r.relation),
        _Column("人员类别", cat_of("xiangcun", 1), "category"),
    ]
    out.append(
        _build(
            rng,
            "xiangcun",
            f"乡村振兴_{month}脱贫人口和监测对象.csv",
            "csv-gb18030",
            None,
            [[c.header for c in cols]],
            [],
            cols,
            buckets["xiangcun"],
            fault_rate,
        )
    )

    # 残联: an HTML table saved as .xls (what many web systems export), GBK.
    levels = ("一级", "二级")
    kinds = ("肢体", "视力", "智力", "精神", "听力", "言语", "多重")
    cols = [
        _Column("姓名", lambda r: r.name, "name"),
        _Column("性别", _cn_sex),
        _Column("公民身份号码", lambda r: r.id_number, "id"),
        _Column("残疾类别", lambda r: kinds[int(r.id_number[12:14]) % len(kinds)]),
        _Column("残疾等级", lambda r: levels[int(r.id_number[13]) % 2]),
        _Column("乡镇（街道）", town, "town"),
        _Column("村（居）", village),
    ]
    out.append(
        _build(
            rng,
            "canlian",
            f"残联_{month}重度残疾人名单.xls",
            "xls-html",
            None,
            [[c.header for c in cols]],
            [],
            cols,
            buckets["canlian"],
            fault_rate,
        )
    )

    # 退役军人: CSV UTF-8 with BOM.
    cols = [
        _Column("姓名", lambda r: r.name, "name"),
        _Column("身份证号", lambda r: r.id_number, "id"),
        _Column("优抚类别", cat_of("tuiyijunren"), "category"),
        _Column("乡镇", town, "town"),
        _Column("联系电话", lambda r: r.phone),
    ]
    out.append(
        _build(
            rng,
            "tuiyijunren",
            f"退役军人_{month}优抚对象.csv",
            "csv-utf8-bom",
            None,
            [[c.header for c in cols]],
            [],
            cols,
            buckets["tuiyijunren"],
            fault_rate,
        )
    )

    # 卫健: XLSX with a title.
    cols = [
        _Column("姓名", lambda r: r.name, "name"),
        _Column("身份证号码", lambda r: r.id_number, "id"),
        _Column("人员类别", cat_of("weijian"), "category"),
        _Column("乡镇", town, "town"),
    ]
    out.append(
        _build(
            rng,
            "weijian",
            f"卫健_{month}计生特殊家庭成员.xlsx",
            "xlsx",
            f"{county}计划生育特殊困难家庭成员名单（{month}）",
            [["序号", *(c.header for c in cols)]],
            [],
            cols,
            buckets["weijian"],
            fault_rate,
            numbered=True,
        )
    )

    # 教育: XLSX of pupils (no category column: the list itself says who they are).
    cols = [
        _Column("学生姓名", lambda r: r.name, "name"),
        _Column("身份证件号", lambda r: r.id_number, "id"),
        _Column("学校名称", lambda r: f"{town(r)[:2]}{'中心小学' if r.student == 'primary' else '中学'}"),
        _Column("学段", lambda r: grades[r.student]),
        _Column("所在乡镇", town, "town"),
    ]
    out.append(
        _build(
            rng,
            "jiaoyu",
            f"教育_{as_of.year}年秋季在校学生.xlsx",
            "xlsx",
            None,
            [[c.header for c in cols]],
            [],
            cols,
            buckets["jiaoyu"],
            fault_rate,
        )
    )

    # 公安: births and deaths of the last 12 months, CSV GB18030.
    def event(r: Resident) -> str:
        return "死亡" if r.deceased_on else "出生"

    def event_date(r: Resident) -> str:
        return (r.deceased_on or r.birth_date).isoformat()

    cols = [
        _Column("姓名", lambda r: r.name, "name"),
        _Column("公民身份号码", lambda r: r.id_number, "id"),
        _Column("性别", _cn_sex),
        _Column("变动类型", event),
        _Column("变动日期", event_date, "date"),
        _Column("派出所", lambda r: f"{town(r)[:2]}派出所"),
        _Column("所属乡镇", town, "town"),
    ]
    out.append(
        _build(
            rng,
            "gongan",
            f"公安_{month}出生死亡人员.csv",
            "csv-gb18030",
            None,
            [[c.header for c in cols]],
            [],
            cols,
            buckets["gongan"],
            fault_rate,
        )
    )

    # 人社: employees in employee insurance (险种 310), CSV UTF-8.
    cols = [
        _Column("姓名", lambda r: r.name, "name"),
        _Column("社会保障号码", lambda r: r.id_number, "id"),
        _Column("险种类型", lambda r: "310"),
        _Column("参保状态", lambda r: "正常参保"),
        _Column("单位名称", lambda r: f"濉溪县{town(r)[:2]}某单位"),
    ]
    out.append(
        _build(
            rng,
            "renshe",
            f"人社_{month}职工医保参保人员.csv",
            "csv-utf8",
            None,
            [[c.header for c in cols]],
            [],
            cols,
            buckets["renshe"],
            fault_rate,
        )
    )
    return out


def _build(
    rng: random.Random,
    source: str,
    filename: str,
    fmt: str,
    title: str | None,
    header: list[list[str]],
    merges: list[tuple[int, int, int, int]],
    cols: Sequence[_Column],
    people: Sequence[Resident],
    fault_rate: float,
    numbered: bool = False,
) -> DeptList:
    rows = [[c.value(r) for c in cols] for r in people]
    if numbered:
        rows = [[str(i + 1), *row] for i, row in enumerate(rows)]
    roles = {c.role: i + (1 if numbered else 0) for i, c in enumerate(cols) if c.role}
    dl = DeptList(source, filename, fmt, title, header, merges, rows)
    inject_faults(rng, dl, roles, fault_rate)
    return dl


def inject_faults(rng: random.Random, dl: DeptList, roles: dict[str, int], rate: float) -> None:
    """Spoil some rows in place and record (row index, kind) in ``dl.faults``. Each applicable kind
    hits ``rate`` of the rows, and at least one row when the list has 20 rows or more."""
    n = len(dl.rows)
    if n == 0:
        return
    kinds = [k for k in FAULTS if _applies(k, roles)]
    hits: dict[int, str] = {}
    for kind in kinds:
        count = max(1 if n >= 20 else 0, round(n * rate))
        for _ in range(count):
            for _attempt in range(20):
                i = rng.randrange(n)
                if i not in hits and (kind != "lower_x" or dl.rows[i][roles["id"]].endswith("X")):
                    hits[i] = kind
                    break
    id_col, name_col = roles["id"], roles["name"]
    extra: list[tuple[int, list[str], str]] = []  # (after index, row, kind)
    for i, kind in sorted(hits.items()):
        row = dl.rows[i]
        number = row[id_col]
        if kind == "bad_check_digit":
            row[id_col] = number[:17] + ("0" if number[17] != "0" else "1")
        elif kind == "bad_birth_date":
            first17 = number[:10] + "13" + number[12:17]
            row[id_col] = first17 + ids.check_digit(first17)
        elif kind == "short_id":
            row[id_col] = number[:-1]
        elif kind == "missing_name":
            row[name_col] = ""
        elif kind == "unknown_category":
            row[roles["category"]] = rng.choice(("五保户", "困难户", "待定"))
        elif kind == "unknown_town":
            row[roles["town"]] = rng.choice(("城关镇", "新城街道"))
        elif kind == "bad_date":
            row[roles["date"]] = rng.choice(("2021-02-30", "2035-09-01", "1900-01-01", "去年"))
        elif kind == "full_width_digits":
            row[id_col] = number.translate(_FULL)
        elif kind == "lower_x":
            row[id_col] = number[:17] + "x"
        elif kind == "trailing_spaces":
            row[name_col] = row[name_col] + "  "
            row[id_col] = " " + number + " "
        elif kind == "duplicate_row":
            extra.append((i, list(row), kind))
        elif kind == "conflicting_name":
            other = list(row)
            other[name_col] = names.misspell(rng, row[name_col])
            extra.append((i, other, kind))
        elif kind == "blank_line":
            extra.append((i, [], kind))
    # Insert extras after their originals (from the end, so indexes stay right), then record.
    marks: list[str | None] = [
        hits.get(i) if hits.get(i) not in ("duplicate_row", "conflicting_name", "blank_line") else None
        for i in range(n)
    ]
    for after, row, kind in sorted(extra, key=lambda e: e[0], reverse=True):
        dl.rows.insert(after + 1, row)
        marks.insert(after + 1, kind)
    dl.faults = [(i, k) for i, k in enumerate(marks) if k]


def _applies(kind: str, roles: dict[str, int]) -> bool:
    need = {"unknown_category": "category", "unknown_town": "town", "bad_date": "date"}.get(kind)
    return need is None or need in roles


def big_list(
    residents: Iterable[Resident],
    tree: RegionTree,
    seed: int,
    as_of: dt.date,
    fmt: str = "csv-gb18030",
    fault_rate: float = 0.001,
    layout: str = "minzheng",
) -> DeptList:
    """A 民政-layout list of every given resident, for benchmarks: residents without a 民政
    category get one of the 民政 categories (by ID), so every row has a category to check.
    ``layout="hukou"``: a 公安 hukou population list of the same residents instead (姓名,
    公民身份号码, 所属乡镇, 村, 人口状态 正常)."""
    voc = vocabulary()
    spellings = [n for c in voc.categories if c.department == "minzheng" for n in (c.name, *c.aliases)]
    towns = {t.code: t.name for t in tree.towns}
    villages = {v.code: v.name for v in tree.villages}
    rng = random.Random(f"urrbmi-synth-big:{seed}")
    rows: list[list[str]] = []
    if layout == "hukou":
        for i, r in enumerate(residents):
            rows.append(
                [str(i + 1), r.name, r.id_number, towns[r.town_code], villages[r.village_code], "正常"]
            )
        ext = "xlsx" if fmt == "xlsx" else "csv"
        hukou = DeptList(
            "hukou",
            f"公安_户籍人口_{len(rows)}行.{ext}",
            fmt,
            None,
            [["序号", "姓名", "公民身份号码", "所属乡镇", "村", "人口状态"]],
            [],
            rows,
        )
        inject_faults(rng, hukou, {"name": 1, "id": 2, "town": 3}, fault_rate)
        return hukou
    for i, r in enumerate(residents):
        cat = next((voc.by_code[c].name for c in r.categories if voc.by_code[c].department == "minzheng"), "")
        rows.append(
            [
                str(i + 1),
                r.name,
                "男" if r.sex == "M" else "女",
                r.id_number,
                cat or spellings[int(r.id_number[14:17]) % len(spellings)],
                towns[r.town_code],
                villages[r.village_code],
                dt.date.fromordinal(as_of.toordinal() - int(r.id_number[10:17]) % 1500).isoformat(),
            ]
        )
    header = [["序号", "姓名", "性别", "身份证号码", "人员类别", "所属乡镇", "村（社区）", "认定时间"]]
    ext = "xlsx" if fmt == "xlsx" else "csv"
    dl = DeptList("minzheng", f"民政_全员名单_{len(rows)}行.{ext}", fmt, None, header, [], rows)
    inject_faults(rng, dl, {"name": 1, "id": 3, "category": 4, "town": 5, "date": 7}, fault_rate)
    return dl
