"""The dispatch ranking as one SQL query: what a dispatch costs must not grow with the roster.

`domain.dispatch.rank` is the definition (and stays the reference in tests); this is the
same weighted sum computed by the database, so a dispatch among 5,000 technicians reads
ten rows, not two thousand. Load and record come from columns kept on the technician
row (`open_jobs`, kept by `SqlTickets.save`; `record_*`, refreshed by a scheduled job),
so no per-dispatch scan of the tickets table is needed. tests/integration/test_dispatch_sql.py
checks the two rankings agree on both backends.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone

from functools import lru_cache

from sqlalchemy import TextClause, func, select, text, update
from sqlalchemy.orm import Session

from domain.dispatch import FACTORS, NEW_TECH, Candidate, Exclusions, Job, Weights
from domain.model import Technician
from domain.ticket import State
from storage.tables import TechnicianRow as T
from storage.tables import TicketRow

BUSY = (State.ASSIGNED, State.ACCEPTED, State.IN_PROGRESS, State.WAITING)
EXAMPLES = 3   # names shown per exclusion reason


_FAIRNESS = {  # days since the last offer, clipped to 0..1; never offered counts fully
    # (PostgreSQL's greatest() skips NULLs, so the never-offered case is spelled out)
    "sqlite": "CASE WHEN last_offered_at IS NULL THEN 1.0"
              " ELSE min(max(julianday(:now) - julianday(last_offered_at), 0.0), 1.0) END",
    "postgresql": "CASE WHEN last_offered_at IS NULL THEN 1.0 ELSE least(greatest("
                  "extract(epoch FROM (CAST(:now AS timestamp) - last_offered_at)) / 86400.0, 0.0), 1.0) END",
}


@lru_cache(maxsize=64)
def _ranking_sql(dialect: str, nearby: int) -> TextClause:
    """Built once per shape: composing the statement per dispatch cost more than running it."""
    near = " OR ".join(_like("regions", f"near{i}") for i in range(nearby)) or "1 = 0"
    return text(f"""
        SELECT id, name, region, load, first_fix, rating, fairness,
               round(CAST(:w0 * region + :w1 * load + :w2 * first_fix + :w3 * rating + :w4 * fairness
                          AS numeric), 6) AS score
        FROM (SELECT id, name,
                     CASE WHEN :region = '' OR {_like("regions", "region_pat")} THEN 1.0
                          WHEN {near} THEN 0.5 ELSE 0.0 END AS region,
                     1.0 - open_jobs * 1.0 / CASE WHEN capacity > 0 THEN capacity ELSE 1 END AS load,
                     coalesce(record_first_fix, :new_first_fix) AS first_fix,
                     (coalesce(record_rating, :new_rating) - 1.0) / 4.0 AS rating,
                     {_FAIRNESS[dialect]} AS fairness
              FROM technicians
              WHERE active = :yes AND on_duty = :yes AND open_jobs < capacity
                AND (:skill = '' OR {_like("skills", "skill_pat")})) AS eligible
        ORDER BY score DESC, id LIMIT :limit""")


def _like(column: str, param: str) -> str:
    # An explicit escape character: PostgreSQL's default one, the backslash, is in the JSON text.
    return f"CAST({column} AS TEXT) LIKE :{param} ESCAPE '!'"


def _pattern(value: str) -> str:
    # Skills and regions are JSON lists kept as the text SQLAlchemy's json.dumps wrote (\\u
    # escapes) on both backends; a quoted token match is exact and needs no JSON functions.
    return f"%{_escaped(json.dumps(value))}%"


def _escaped(text_: str) -> str:
    return text_.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _patterns(name: str, value: str) -> dict[str, str]:
    return {name: _pattern(value)}


def candidates(session: Session, job: Job, neighbours: Mapping[str, tuple[str, ...]], weights: Weights,
               now: datetime | None, limit: int) -> list[Candidate]:
    """The best `limit` eligible technicians, best first, ties to the lower id (as `rank`).
    Those who declined are dropped here rather than in SQL: a handful, known in advance."""
    nearby = neighbours.get(job.region, ()) if job.region else ()
    dialect = session.get_bind().dialect.name
    at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    params: dict[str, object] = {
        "region": job.region, **_patterns("region_pat", job.region), "skill": job.skill,
        **_patterns("skill_pat", job.skill), "new_first_fix": NEW_TECH.first_fix, "new_rating": NEW_TECH.rating,
        "now": at.isoformat(sep=" ") if dialect == "sqlite" else at, "yes": True,
        "limit": limit + len(job.declined),
        **{f"w{i}": float(getattr(weights, name)) for i, name in enumerate(FACTORS)},
        **{k: v for i, r in enumerate(nearby) for k, v in _patterns(f"near{i}", r).items()}}
    rows = session.execute(_ranking_sql(dialect, len(nearby)), params).all()
    if now is None:
        rows = [r._replace(fairness=1.0) for r in rows]
    return [Candidate(Technician(r.id, r.name), float(r.score),
                      tuple((n, float(getattr(r, n))) for n in FACTORS))
            for r in rows if r.id not in job.declined][:limit]


_SKILLED = f"(:skill = '' OR {_like('skills', 'skill_pat')})"
_WHY = (("已停用", "active <> :yes"), ("不在岗", "active = :yes AND on_duty <> :yes"),
        ("工单已满", "active = :yes AND on_duty = :yes AND open_jobs >= capacity"))
# Who was left out and why, without reading every excluded row: one grouped scan for the counts,
# and each reason's first EXAMPLES by id (scans in id order that stop at the third match).
_EXCLUDED_COUNTS = text(f"""
    SELECT active = :yes, on_duty = :yes, open_jobs < capacity, count(*) FROM technicians
    WHERE {_SKILLED} GROUP BY 1, 2, 3""")
_EXCLUDED_NAMES = text(" UNION ALL ".join(
    f"SELECT * FROM (SELECT '{why}' AS reason, id, name FROM technicians WHERE {where} AND {_SKILLED}"
    f" ORDER BY id LIMIT {EXAMPLES}) AS r{i}" for i, (why, where) in enumerate(_WHY)))
_TECHNICIANS = text("SELECT count(*) FROM technicians")


def exclusions(session: Session, job: Job) -> Exclusions:
    """Who was not considered and why: counts by reason, with a few names each."""
    params = {"yes": True, "skill": job.skill, **_patterns("skill_pat", job.skill)}
    counts: dict[str, int] = {}
    skilled = 0
    for active, on_duty, room, n in session.execute(_EXCLUDED_COUNTS, params):
        skilled += n
        why = "已停用" if not active else "不在岗" if not on_duty else "工单已满" if not room else None
        if why:
            counts[why] = counts.get(why, 0) + n
    names: dict[str, list[str]] = {}
    for why, tid, name in session.execute(_EXCLUDED_NAMES, params):
        names.setdefault(why, []).append(f"{tid} {name}")
    if job.declined:
        counts["已拒单或超时"] = len(job.declined)
        names["已拒单或超时"] = sorted(job.declined)[:EXAMPLES]
    unskilled = (session.scalar(_TECHNICIANS) or 0) - skilled if job.skill else 0
    if unskilled:
        counts[f"无{job.skill}技能"] = unskilled
    return Exclusions(counts, {k: tuple(v) for k, v in names.items()})


def recount_loads(session: Session) -> None:
    """Set every technician's open_jobs from the tickets (repairs any drift; one grouped query)."""
    busy = (select(func.count()).select_from(TicketRow)
            .where(TicketRow.assignee_id == T.id, TicketRow.state.in_([s.value for s in BUSY]))
            .scalar_subquery())
    session.execute(update(T).values(open_jobs=busy))


def store_records(session: Session, records: Mapping[str, tuple[float | None, float | None]]) -> None:
    """Write each technician's recent first-time-fix share and rating (None: no history)."""
    session.execute(update(T).values(record_first_fix=None, record_rating=None))
    if records:  # bulk UPDATE by primary key: one statement, many parameter sets
        session.execute(update(T), [{"id": tid, "record_first_fix": ff, "record_rating": rt}
                                    for tid, (ff, rt) in records.items()])
