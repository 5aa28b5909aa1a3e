from click.testing import CliRunner

from urrbmi.interfaces.cli import main


def test_demo_quotes_every_seed_notice() -> None:
    res = CliRunner().invoke(main, ["demo"])
    assert res.exit_code == 0, res.output
    for pid in ("changji-2023", "fengdu-shetan-2023", "taixing-2022", "suixi-2022", "qianjiang-2022"):
        assert pid in res.stdout
    assert "应缴900元（含应补缴财政补助部分580元）" in res.stdout
    assert "无法计算" in res.stdout  # the gaps are shown, not guessed
