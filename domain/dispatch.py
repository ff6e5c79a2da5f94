"""Choosing a technician: by skill, region, load and who has waited longest for work."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from domain.model import Technician


@dataclass(frozen=True)
class Job:
    skill: str
    region: str
    declined: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Candidate:
    tech: Technician
    region_rank: int      # 0 same region, 1 neighbour, 2 elsewhere
    load: int
    reasons: tuple[str, ...]

    def sort_key(self, last_offered: Mapping[str, datetime]) -> tuple[int, float, str]:
        waited_since = last_offered.get(self.tech.id)
        stamp = waited_since.isoformat() if waited_since else ""
        return (self.region_rank, self.load / max(self.tech.capacity, 1), stamp)


def _region_rank(tech: Technician, region: str, neighbours: Mapping[str, tuple[str, ...]]) -> int:
    if not region or region in tech.regions:
        return 0
    if any(r in tech.regions for r in neighbours.get(region, ())):
        return 1
    return 2


def eligible(tech: Technician, job: Job, loads: Mapping[str, int]) -> str | None:
    """None when the technician may take the job, else why not."""
    if not tech.active:
        return "已停用"
    if not tech.on_duty:
        return "不在岗"
    if job.skill and job.skill not in tech.skills:
        return f"无{job.skill}技能"
    if tech.id in job.declined:
        return "已拒单或超时"
    if loads.get(tech.id, 0) >= tech.capacity:
        return "工单已满"
    return None


def rank(techs: Iterable[Technician], job: Job, loads: Mapping[str, int],
         last_offered: Mapping[str, datetime],
         neighbours: Mapping[str, tuple[str, ...]] | None = None) -> list[Candidate]:
    """Eligible technicians, best first: same region, lightest load, longest without an offer."""
    found = []
    for tech in techs:
        if eligible(tech, job, loads) is not None:
            continue
        rr = _region_rank(tech, job.region, neighbours or {})
        load = loads.get(tech.id, 0)
        reasons = (("同区域", "邻近区域", "跨区域")[rr], f"在手{load}/{tech.capacity}")
        found.append(Candidate(tech, rr, load, reasons))
    found.sort(key=lambda c: c.sort_key(last_offered))
    return found
