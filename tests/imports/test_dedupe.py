"""Within-file duplicates are dropped and counted; conflicting rows go to review, never merged."""

from pathlib import Path

from import_helpers import AS_OF, MINZHENG_HEADER, minzheng_row, person, write_csv

from urrbmi.imports.check import check_file


def test_exact_duplicates_dropped_conflicts_held_second_categories_kept(tmp_path: Path) -> None:
    a, b, c = minzheng_row(1), minzheng_row(2), minzheng_row(3)
    a_again = list(a)
    a_again[0] = "9"  # another 序号 is still the same row
    a_padded = [v + " " for v in a]  # and so are trailing spaces
    b_other_name = minzheng_row(2, 姓名="张伟某")
    c_second_category = minzheng_row(3, 人员类别="重度残疾人")
    rows = [MINZHENG_HEADER, a, b, c, a_again, b_other_name, c_second_category, a_padded]
    batch = check_file(write_csv(tmp_path / "l.csv", rows), "minzheng", as_of=AS_OF)

    assert [(d.row, d.same_as) for d in batch.duplicates] == [(5, 2), (8, 2)]
    (conflict,) = batch.conflicts
    assert conflict.id_number == person(2)
    assert [r.row for r in conflict.rows] == [3, 6] and conflict.fields == ("name",)
    assert [r.row for r in batch.rows] == [2, 4, 7]  # person 2 is not loaded from either row
    assert {r.category for r in batch.rows if r.id_number == person(3)} == {"dibao", "severe_disability"}
    c_ = batch.counts
    assert (c_.data_rows, c_.valid, c_.duplicates, c_.conflicts, c_.conflict_rows, c_.unique_ids) == (
        7,
        3,
        2,
        1,
        2,
        2,
    )


def test_conflict_on_sex_column(tmp_path: Path) -> None:
    # the sex column disagrees between rows; one of them must also disagree with the ID
    rows = [MINZHENG_HEADER, minzheng_row(1), minzheng_row(1, 性别="女")]
    batch = check_file(write_csv(tmp_path / "l.csv", rows), "minzheng", as_of=AS_OF)
    assert [p.code for p in batch.problems()] == ["sex_mismatch"]
    assert batch.conflicts == [] and len(batch.rows) == 1
