"""The demo data agrees with itself and with the 濉溪 table it uses."""

from __future__ import annotations

from pathlib import Path

from urrbmi.targets.demo import build_demo, load_demo


def test_demo_data_totals_agree() -> None:
    data = load_demo()
    total = sum(e for e, _ in data.enrolled.values())
    assert data.burnup[data.as_of] == total == sum(data.composition.values())


def test_demo_bulletin_ranks_liuqiao_last_short_2578(tmp_path: Path) -> None:
    out = build_demo(tmp_path, charts=False)
    last = out.bulletin.rows[-1]
    # 刘桥镇: 58207 enrolled of task 60785 -> 95.76%, short 60785 − 58207 = 2578
    assert (last.unit, last.rank, last.remaining) == ("刘桥镇", 12, 2578)
    assert out.bulletin.remarks["刘桥镇"] == "未达目标，差2,578人；排名后3位"
    assert [p.name for p in out.files] == ["通报.xlsx", "通报.html"]
