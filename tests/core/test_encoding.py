"""One encoding detector (issue 16): department lists, payment files, refund results and task
tables are decoded by ``urrbmi.encoding.decode``; a GB18030 file from a bank reads the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from urrbmi.campaign.payments import read_payment_file
from urrbmi.campaign.refunds import read_result_file
from urrbmi.encoding import decode
from urrbmi.errors import InvalidInput

PAYMENTS = "交易流水号,身份证号码,金额,缴费日期\nB001,11010519491231002X,380.00,2021-11-01\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_a_payment_file_reads_the_same_in_every_encoding_a_bank_writes(tmp_path: Path, encoding: str) -> None:
    f = tmp_path / "p.csv"
    f.write_bytes(PAYMENTS.encode(encoding))
    [line] = read_payment_file(f)
    assert (line.external_ref, line.id_number, line.amount_fen) == ("B001", "11010519491231002X", 38000)


def test_a_refund_result_in_gb18030_reads(tmp_path: Path) -> None:
    f = tmp_path / "r.csv"
    f.write_bytes(
        "退费编号,结果,金额,支付日期,渠道流水号,原因\nR1,成功,380.00,2021-12-01,T1,\n".encode("gb18030")
    )
    [row] = read_result_file(f.read_bytes(), f.name)
    assert row["result"] == "成功"


def test_undecodable_bytes_are_one_bilingual_error() -> None:
    with pytest.raises(InvalidInput) as err:
        decode(bytes(range(128, 256)) * 3, "x.csv")
    assert "x.csv" in err.value.zh or "x.csv" in err.value.en


def test_the_detector_has_one_home() -> None:
    root = Path(__file__).parents[2] / "urrbmi"
    hand = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "encoding.py" and '.decode("gb18030")' in p.read_text("utf-8")
    ]
    assert hand == []
