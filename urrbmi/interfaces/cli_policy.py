"""CLI: policies, policy show/check/schema, and the quote command (a stable contract)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from urrbmi.errors import InvalidInput
from urrbmi.interfaces.cli_common import dumps
from urrbmi.policy import load_policy, load_policy_file, policy_ids, quote
from urrbmi.policy.resident import ResidentInput
from urrbmi.policy.schema import Policy


@click.command("policies")
@click.option(
    "--schedules", is_flag=True, help="另列资助标准表（仅用于年度对比）/ also list subsidy schedules"
)
def policies_cmd(schedules: bool) -> None:
    """列出可用政策 / list the available policies.

    With --schedules, also the subsidy schedules (policy/schedules/*.yaml: a year's subsidised
    groups and rules known without its full notice), which `policy compare` may use but which
    cannot quote anyone; they are marked 资助标准表.
    """
    for pid in policy_ids():
        p = load_policy(pid)
        doc = p.model.documents["main"]
        click.echo(f"{pid}\t{p.model.jurisdiction.name}\t{p.benefit_year}年度\t{doc.number or doc.title}")
    if schedules:
        from urrbmi.policy import compare as cmp

        for sid in cmp.schedule_ids():
            if sid in policy_ids():
                continue
            sch = cmp.load_schedule(sid)
            click.echo(
                f"{sid}\t{sch.jurisdiction_name}\t{sch.benefit_year}年度\t"
                "资助标准表（仅用于年度对比，不能核定缴费）/ subsidy schedule (comparisons only)"
            )


@click.group("policy")
def policy_group() -> None:
    """查看和校验政策文件 / show and check policy files."""


@policy_group.command("show")
@click.argument("policy_id")
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="语言 / language"
)
def policy_show(policy_id: str, lang: str) -> None:
    """显示政策的全部条款及出处、推定事项 / print every section with citations and assumptions."""
    from urrbmi.policy.summary import policy_summary

    click.echo(policy_summary(load_policy(policy_id), lang))


@policy_group.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def policy_check(path: Path) -> None:
    """校验一个政策文件 / validate one policy file."""
    p = load_policy_file(path)
    click.echo(f"正确 / OK: {p.id} version {p.version}")


@policy_group.command("test")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="只输出失败和汇总 / failures and the summary only")
def policy_test(files: tuple[Path, ...], quiet: bool) -> None:
    """运行政策的测试用例文件（<政策>.tests.yaml）/ run a notice's own test cases.

    Without FILES: every *.tests.yaml on URRBMI_POLICY_PATH and among the shipped policies.
    Exit status: 0 all cases pass; 1 a case fails (each failure printed with file:line, case,
    clause, field, expected and got); 2 a file cannot be read or checked (one bilingual line).
    """
    from urrbmi.policy import casefile

    paths = list(files) or casefile.shipped_case_files()
    if not paths:
        raise InvalidInput("没有找到测试用例文件（*.tests.yaml）", "no *.tests.yaml files found")
    outcome = casefile.run_files(paths)
    if not quiet:
        for path in paths:
            click.echo(f"{path}")
    for f in outcome.failures:
        click.echo(f"失败 FAIL {f.zh}\n    {f.en}")
    click.echo(
        f"{outcome.passed}个通过，{outcome.failed}个失败 / {outcome.passed} passed, {outcome.failed} failed"
    )
    if outcome.failed:
        sys.exit(1)


@policy_group.command("schema")
def policy_schema() -> None:
    """输出政策文件的JSON Schema / print the policy file JSON Schema."""
    click.echo(json.dumps(Policy.model_json_schema(), ensure_ascii=False, indent=2))


@click.command("quote")
@click.option("--policy", "policy_id", required=True, help="政策id，如 suixi-2022")
@click.option("--explain", is_flag=True, help="以中文说明代替JSON / readable Chinese explanation")
def quote_cmd(policy_id: str, explain: bool) -> None:
    """从标准输入读取一位居民（JSON），输出应缴金额与待遇期 / quote one resident.

    Reads one JSON object on stdin and prints one JSON object on stdout. Errors: exit status
    2 with one bilingual line on stderr.
    """
    policy = load_policy(policy_id)
    text = sys.stdin.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"输入不是有效的JSON（第{exc.lineno}行第{exc.colno}列）",
            f"the input is not valid JSON (line {exc.lineno}, column {exc.colno})",
        ) from None
    result = quote(policy, ResidentInput.parse(data))
    if explain:  # the readable summary module is imported only when asked for (quote CPU, issue 17.6)
        from urrbmi.policy.explain import explain_quote

        click.echo(explain_quote(result))
    else:
        click.echo(dumps(result.as_dict(), indent=None))


def _source_zh(schedule_id: str) -> str:
    """Where one side of a comparison comes from: a policy, or a subsidy schedule file."""
    from urrbmi.policy import compare as cmp

    if schedule_id in policy_ids():
        return f"政策 {schedule_id}（见 urrbmi policies）"
    path = next(
        (d / f"{schedule_id}.yaml" for d in cmp._schedule_dirs() if (d / f"{schedule_id}.yaml").is_file()),
        None,
    )
    return (
        f"资助标准表 {schedule_id}（{path}；只载资助类别及标准，不是完整通知，不能核定缴费；"
        "见 urrbmi policies --schedules）"
    )


@policy_group.command("compare")
@click.argument("jurisdiction_code")
@click.argument("before_year", type=int)
@click.argument("after_year", type=int)
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), help="写出Excel对比表 / write Excel")
@click.option("--json", "as_json", is_flag=True, help="输出JSON / print JSON")
def policy_compare(
    jurisdiction_code: str, before_year: int, after_year: int, xlsx: Path | None, as_json: bool
) -> None:
    """两个年度的资助参保类别及标准对比（如黔江附件2）/ year-over-year subsidy comparison.

    Example: urrbmi policy compare 500114 2021 2022 --xlsx 对比表.xlsx
    """
    from urrbmi.policy import compare as cmp

    c = cmp.compare_years(jurisdiction_code, before_year, after_year)
    if as_json:
        click.echo(dumps(cmp.as_dict(c), indent=None))
    else:
        click.echo(
            f"{c.jurisdiction} {before_year}年（{c.before.id}）与{after_year}年（{c.after.id}）资助参保对比"
        )
        for year, side in ((before_year, c.before), (after_year, c.after)):
            click.echo(f"{year}年依据：{_source_zh(side.id)}")
        for r in c.rows:
            b, a = cmp.cell(r.before)[3] or "—", cmp.cell(r.after)[3] or "—"
            click.echo(f"[{r.change_zh}] {r.category_name}\n  {before_year}：{b}\n  {after_year}：{a}")
        for g in c.gaps:
            click.echo(f"说明：{g}")
    if xlsx:
        cmp.write_xlsx(c, xlsx)
        click.echo(f"已写出 / written: {xlsx}", err=True)
