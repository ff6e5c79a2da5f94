"""What a technician calls a part: SKU, name, alias or a part of a name; the job decides between equals."""
from __future__ import annotations

from domain.model import Part
from domain.parts import Ambiguous, resolve_part

VALVE = Part("P-VALVE", "陶瓷阀芯", 4500, ("FC-K100", "FC-B200"), ("龙头阀芯",))
THERMO = Part("P-THERMO", "恒温阀芯", 9000, ("FC-K100",))
TOILET = Part("P-TVALVE", "马桶阀芯", 3000, ("TL-S100",))
HOSE = Part("P-HOSE", "进水软管", 2000, ("FC-K100",), ("软管",))
PULL = Part("P-PULL", "抽拉龙头出水软管", 3850, ("FC-K100",))
CATALOG = (VALVE, THERMO, TOILET, HOSE, PULL)


def test_a_sku_is_found_whatever_its_case_and_before_any_name() -> None:
    assert resolve_part("p-valve", CATALOG) == VALVE
    assert resolve_part("P-HOSE", CATALOG, "TL-S100") == HOSE


def test_a_unique_part_of_a_name_or_an_alias_finds_the_part() -> None:
    assert resolve_part("陶瓷阀芯", CATALOG) == VALVE
    assert resolve_part("龙头阀芯", CATALOG) == VALVE
    assert resolve_part("陶瓷", CATALOG) == VALVE
    assert resolve_part("抽拉", CATALOG) == PULL


def test_the_parts_that_fit_the_jobs_product_are_preferred() -> None:
    assert resolve_part("阀芯", CATALOG, "FC-B200") == VALVE
    assert resolve_part("阀芯", CATALOG, "TL-S100") == TOILET


def test_a_part_reserved_for_the_job_is_preferred_over_others_that_fit() -> None:
    assert resolve_part("阀芯", CATALOG, "FC-K100", reserved=["P-THERMO"]) == THERMO


def test_two_parts_that_fit_equally_are_a_question_with_both() -> None:
    found = resolve_part("阀芯", CATALOG, "FC-K100")
    assert isinstance(found, Ambiguous)
    assert {p.sku for p in found.candidates} == {"P-VALVE", "P-THERMO"}
    everything = resolve_part("阀芯", CATALOG)
    assert isinstance(everything, Ambiguous) and len(everything.candidates) == 3


def test_an_exact_name_or_alias_beats_a_name_that_only_contains_it() -> None:
    assert resolve_part("软管", CATALOG, "FC-K100") == HOSE


def test_nothing_matches_unknown_words_or_a_single_letter_of_a_name() -> None:
    assert resolve_part("神秘零件", CATALOG) is None
    assert resolve_part("芯", CATALOG) is None
    assert resolve_part("  ", CATALOG) is None
