"""Choosing a technician by skill, region, load and fairness."""
from __future__ import annotations

from datetime import datetime, timezone

from domain.dispatch import Job, Record, Weights, eligible, excluded, rank
from domain.model import Technician

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def tech(tid: str, skills: str = "plumbing", regions: str = "西湖区", capacity: int = 3, **kw: object) -> Technician:
    return Technician(tid, tid, skills=tuple(skills.split("|")), regions=tuple(regions.split("|")),
                      capacity=capacity, **kw)  # type: ignore[arg-type]


def ids(cands: list) -> list[str]:  # type: ignore[type-arg]
    return [c.tech.id for c in cands]


def test_only_technicians_with_the_skill_on_duty_and_with_room_are_candidates() -> None:
    techs = [tech("A"), tech("B", skills="lock"), tech("C", on_duty=False), tech("D", capacity=1),
             tech("E", active=False)]
    job = Job("plumbing", "西湖区")
    assert ids(rank(techs, job, {"D": 1}, {})) == ["A"]
    assert eligible(techs[1], job, {}) == "无plumbing技能"
    assert eligible(techs[2], job, {}) == "不在岗"
    assert eligible(techs[3], job, {"D": 1}) == "工单已满"


def test_same_region_comes_before_a_neighbour_before_anyone_else() -> None:
    techs = [tech("far", regions="余杭区"), tech("near", regions="滨江区"), tech("here")]
    ranked = rank(techs, Job("plumbing", "西湖区"), {}, {}, {"西湖区": ("滨江区",)})
    assert ids(ranked) == ["here", "near", "far"]
    assert ranked[0].reasons[0] == "区域1.00" and ranked[1].reasons[0] == "区域0.50"


def test_lighter_load_wins_within_a_region_and_then_who_waited_longest() -> None:
    techs = [tech("busy"), tech("idle1"), tech("idle2")]
    last = {"idle1": T0, "idle2": T0.replace(hour=1)}   # idle2 was offered a job earlier
    ranked = rank(techs, Job("plumbing", "西湖区"), {"busy": 2}, last, now=T0.replace(hour=12))
    assert ids(ranked) == ["idle2", "idle1", "busy"]


def test_a_better_record_wins_when_all_else_is_equal_and_the_weights_decide_how_much() -> None:
    techs = [tech("A"), tech("B")]
    records = {"A": Record(first_fix=0.5, rating=3.0), "B": Record(first_fix=0.95, rating=4.8)}
    assert ids(rank(techs, Job("plumbing", "西湖区"), {}, {}, records=records)) == ["B", "A"]
    only_load = Weights(region=0, load=1, first_fix=0, rating=0, fairness=0)
    assert ids(rank(techs, Job("plumbing", "西湖区"), {"B": 1}, {}, records=records, weights=only_load)) == ["A", "B"]


def test_the_explanation_names_every_factor_and_the_score() -> None:
    best = rank([tech("A")], Job("plumbing", "西湖区"), {"A": 1}, {})[0]
    text = best.explain()
    assert text.startswith("A A ") and all(word in text for word in ("区域1.00", "空闲0.67", "一次修复", "评分", "等待"))
    assert excluded([tech("A"), tech("B", skills="lock")], Job("plumbing", "西湖区"), {}) == {"无plumbing技能": 1}


def test_someone_who_declined_is_not_asked_again() -> None:
    assert ids(rank([tech("A"), tech("B")], Job("plumbing", "西湖区", frozenset({"A"})), {}, {})) == ["B"]
