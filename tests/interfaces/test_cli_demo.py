from pathlib import Path

from click.testing import CliRunner

from urrbmi.interfaces.cli import main


def test_demo_quotes_every_seed_notice() -> None:
    res = CliRunner().invoke(main, ["demo", "--quotes-only", "--no-serve"])
    assert res.exit_code == 0, res.output
    for pid in ("changji-2023", "fengdu-shetan-2023", "taixing-2022", "suixi-2022", "qianjiang-2022"):
        assert pid in res.stdout
    assert "应缴900元（含应补缴财政补助部分580元）" in res.stdout
    assert "无法计算" in res.stdout  # the gaps are shown, not guessed


def test_demo_campaign_end_to_end(tmp_path: Path) -> None:
    from urrbmi.interfaces.demo_campaign import run_demo_campaign

    r = run_demo_campaign(tmp_path / "demo.sqlite", tmp_path / "out", scale=0.002, seed=3)
    assert r.assess.assessed == r.residents > 2000
    # every line of the channel file is accounted for: accepted, held, or an ignored repeat
    assert r.payments.lines == r.paid_lines + 1
    assert r.payments.replayed == 1
    assert sum(r.payments.status.values()) == r.paid_lines
    assert r.payments.status["held"] >= 1  # wrong amounts are held, not accepted
    # only residents who owe something pay: nobody already enrolled by a subsidy "pays" 0 yuan
    assert set(r.payments.held) == {"amount_mismatch"}
    total = r.bulletin.total
    # enrolled = payers whose payment was accepted + fully subsidised residents the bureau enrolls
    assert r.assess.enrolled_subsidised > 0
    assert total.enrolled == r.payments.status["accepted"] + r.assess.enrolled_subsidised
    # one definition: the base is the living residents less the employee-insured and those
    # insured elsewhere, as in `urrbmi targets progress` (not the synthetic population)
    d = r.bulletin.details["合计"]
    assert total.base == d.registry - d.employee - d.elsewhere < r.residents
    assert all(f.exists() for f in r.files)
    # the same seed gives the same campaign
    again = run_demo_campaign(tmp_path / "demo.sqlite", tmp_path / "out2", scale=0.002, seed=3)
    assert again.bulletin.total == total
