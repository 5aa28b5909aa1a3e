"""The loader's words (list_words.yaml) and the one applier per list kind (issue 16)."""

from importlib import resources

import pytest

from urrbmi.errors import InvalidInput
from urrbmi.imports.apply import APPLIERS, applier_for
from urrbmi.imports.config import sources
from urrbmi.imports.kinds import batch_kind, parse_words, words


def test_list_words_file_reads_the_tables() -> None:
    w = words()
    assert w.events["死亡注销"] == "death" and w.events[""] == "present"
    assert w.renshe_insurance_types[""] == "310"  # a 人社 list without 险种类型: employee insurance
    assert w.renshe_insurance_types["城乡居民养老保险"] == "170"
    assert w.insurance_types["居民医保"] == "390"
    assert "终止" in w.employee_insurance_ended and "高职" in w.college_words
    assert words() is w  # read once


def test_list_words_are_strict() -> None:
    text = (resources.files("urrbmi.imports") / "list_words.yaml").read_text("utf-8")
    with pytest.raises(InvalidInput, match="unknown meanings"):
        parse_words(text.replace("迁入: move_in", "迁入: moved_here"))
    with pytest.raises(InvalidInput, match="need exactly"):
        parse_words(text + "\nextra: {}\n")


def test_every_source_has_an_applier_of_its_kind() -> None:
    assert set(APPLIERS) == {"list", "population", "enrollment"}
    for source in sources():
        assert applier_for(batch_kind(source)).kind == batch_kind(source)
