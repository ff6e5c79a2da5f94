"""The dispatch ranking as indexed SQL: what a dispatch costs must not grow with the roster.

`domain.dispatch.rank` is the definition (and stays the reference in tests); this is the
same weighted sum computed by the database. Who may take a job is read by index from
`technician_skills` (kept in step with the roster by triggers, with why each technician
cannot take a job now), so neither the choice nor the count of who was left out reads a
technician who cannot take it. Load and record come from columns kept on the technician
row (`open_jobs`, kept by `SqlTickets.save`; `record_*`, refreshed by a scheduled job), so
no per-dispatch scan of the tickets table is needed. tests/integration/test_dispatch_sql.py
checks the two rankings agree on both backends.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

from functools import lru_cache
from typing import cast

from sqlalchemy import Table, TextClause, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from domain.dispatch import FACTORS, NEW_TECH, Candidate, Exclusions, Job, Weights
from domain.model import Technician
from domain.ticket import State
from storage.prepared import transaction_of
from storage.tables import TechnicianRow as T
from storage.tables import TicketRow

BUSY = (State.ASSIGNED, State.ACCEPTED, State.IN_PROGRESS, State.WAITING)
EXAMPLES = 3   # names shown per exclusion reason
# technician_skills.unavailable, as migration 0017's triggers write it (0: may take a job)
UNAVAILABLE = {1: "已停用", 2: "不在岗", 3: "工单已满"}
TECHNICIANS = cast(Table, T.__table__)   # the roster's per-dispatch writes are plain Core statements
# An offer both marks the technician offered and adds the job to their load: one UPDATE, not two
# (on PostgreSQL each statement is a round trip). The mark waits in the session for the load step.
OFFERED = "baoxiu_offered_mark"
_BY_ID = TECHNICIANS.c.id == bindparam("tech")
MARK_OFFERED = update(TECHNICIANS).where(_BY_ID).values(last_offered_at=bindparam("at"))
STEP_LOAD = update(TECHNICIANS).where(_BY_ID).values(open_jobs=TECHNICIANS.c.open_jobs + bindparam("step"))
STEP_LOAD_OFFERED = STEP_LOAD.values(last_offered_at=bindparam("at"))


_FAIRNESS = {  # days since the last offer, clipped to 0..1; never offered counts fully
    # (PostgreSQL's greatest() skips NULLs, so the never-offered case is spelled out)
    "sqlite": "CASE WHEN t.last_offered_at IS NULL THEN 1.0"
              " ELSE min(max(julianday(:now) - julianday(t.last_offered_at), 0.0), 1.0) END",
    "postgresql": "CASE WHEN t.last_offered_at IS NULL THEN 1.0 ELSE least(greatest("
                  "extract(epoch FROM (CAST(:now AS timestamp) - t.last_offered_at)) / 86400.0, 0.0), 1.0) END",
}


def _served(nearby: int) -> str:
    """Technicians serving the job's region (1.0) or only a neighbouring one (0.5), by index."""
    if not nearby:
        return "SELECT technician_id, 1.0 AS region FROM technician_regions WHERE region = :region"
    near = ", ".join(f":near{i}" for i in range(nearby))
    return ("SELECT technician_id, max(CASE WHEN region = :region THEN 1.0 ELSE 0.5 END) AS region"
            f" FROM technician_regions WHERE region IN (:region, {near}) GROUP BY technician_id")


@lru_cache(maxsize=64)
def _ranking_sql(dialect: str, nearby: int, regional: bool, served_only: bool, timed: bool) -> TextClause:
    """Built once per shape: composing the statement per dispatch cost more than running it.
    `served_only` ranks those serving the region or a neighbouring one (a short index range);
    otherwise everyone with the skill, by the skill index."""
    if served_only:
        # CROSS JOIN: SQLite then walks the region's few technicians and probes each one's skill, in
        # the order written, instead of every skilled technician probing the region (PostgreSQL plans
        # it as the inner join it is).
        source = (f"({_served(nearby)}) AS r CROSS JOIN technician_skills AS s CROSS JOIN technicians AS t"
                  " WHERE s.technician_id = r.technician_id AND s.skill = :skill AND s.unavailable = 0"
                  " AND t.id = s.technician_id")
        region = "r.region"
    else:
        source = "technician_skills AS s" + (
            f" LEFT JOIN ({_served(nearby)}) AS r ON r.technician_id = s.technician_id" if regional else "") + (
            " JOIN technicians AS t ON t.id = s.technician_id WHERE s.skill = :skill AND s.unavailable = 0")
        region = "coalesce(r.region, 0.0)" if regional else "1.0"
    return text(f"""
        SELECT id, name, region, load, first_fix, rating, fairness,
               round(CAST(:w0 * region + :w1 * load + :w2 * first_fix + :w3 * rating + :w4 * fairness
                          AS numeric), 6) AS score
        FROM (SELECT t.id, t.name, {region} AS region,
                     1.0 - t.open_jobs * 1.0 / CASE WHEN t.capacity > 0 THEN t.capacity ELSE 1 END AS load,
                     coalesce(t.record_first_fix, :new_first_fix) AS first_fix,
                     (coalesce(t.record_rating, :new_rating) - 1.0) / 4.0 AS rating,
                     {_FAIRNESS[dialect] if timed else "1.0"} AS fairness
              FROM {source}) AS eligible
        ORDER BY score DESC, id LIMIT :limit""")


def mark_offered(session: Session, tech_id: str, now: datetime) -> None:
    """Set when the technician was last offered a job, with the load step of the save that follows
    (written on its own if that save moves no load to them, or before anything ranks)."""
    write_offered_mark(session)
    session.info[OFFERED] = (transaction_of(session), tech_id, now)


def _pending(session: Session) -> tuple[str, datetime] | None:
    """The offered mark waiting in this transaction (one left by a rolled-back one is dropped)."""
    held = session.info.pop(OFFERED, None)
    return (held[1], held[2]) if held and held[0] is transaction_of(session) else None


def step_load(session: Session, tech_id: str, step: int) -> None:
    """Add `step` to a technician's open jobs, with their pending offered mark if any."""
    pending = _pending(session)
    if pending and pending[0] == tech_id:
        session.execute(STEP_LOAD_OFFERED, {"tech": tech_id, "step": step, "at": pending[1]})
        return
    if pending:
        session.info[OFFERED] = (transaction_of(session), *pending)
    session.execute(STEP_LOAD, {"tech": tech_id, "step": step})


def write_offered_mark(session: Session) -> None:
    pending = _pending(session)
    if pending:
        session.execute(MARK_OFFERED, {"tech": pending[0], "at": pending[1]})


def _best_elsewhere(weights: Weights) -> float:
    """The highest score anyone serving neither the region nor a neighbouring one can reach:
    region counts 0 for them and every other factor is at most 1."""
    return round(sum(max(float(getattr(weights, name)), 0.0) for name in FACTORS if name != "region"), 6)


def candidates(session: Session, job: Job, neighbours: Mapping[str, tuple[str, ...]], weights: Weights,
               now: datetime | None, limit: int) -> list[Candidate]:
    """The best `limit` eligible technicians, best first, ties to the lower id (as `rank`).

    Those serving the region (or a neighbouring one) are ranked first, from a short index
    range; when enough of them score above anyone from elsewhere could, they are the answer,
    otherwise everyone with the skill is ranked. Those who declined are dropped here rather
    than in SQL: a handful, known in advance."""
    write_offered_mark(session)   # fairness reads it
    nearby = neighbours.get(job.region, ()) if job.region else ()
    dialect = session.get_bind().dialect.name
    wanted = limit + len(job.declined)
    params: dict[str, object] = {
        "region": job.region, "skill": job.skill, "new_first_fix": NEW_TECH.first_fix,
        "new_rating": NEW_TECH.rating, "limit": wanted,
        **{f"w{i}": float(getattr(weights, name)) for i, name in enumerate(FACTORS)},
        **{f"near{i}": r for i, r in enumerate(nearby)}}
    if now is not None:
        at = now.astimezone(timezone.utc).replace(tzinfo=None)
        params["now"] = at.isoformat(sep=" ") if dialect == "sqlite" else at
    shape = (dialect, len(nearby), bool(job.region))
    rows = session.execute(_ranking_sql(*shape, True, now is not None), params).all() if job.region else []
    if not (len(rows) == wanted and float(rows[-1].score) > _best_elsewhere(weights)):
        rows = session.execute(_ranking_sql(*shape, False, now is not None), params).all()
    return [Candidate(Technician(r.id, r.name), float(r.score),
                      tuple((n, float(getattr(r, n))) for n in FACTORS))
            for r in rows if r.id not in job.declined][:limit]


# Who was left out and why, from the skill index alone: the count for each reason, each reason's
# first EXAMPLES by id (index ranges that stop at the third), and everyone (all have the empty
# skill), to count the unskilled.
_EXCLUSIONS = text(" UNION ALL ".join((
    "SELECT unavailable, count(*) AS n, NULL AS id, NULL AS name FROM technician_skills"
    " WHERE skill = :skill GROUP BY unavailable",
    *(f"SELECT * FROM (SELECT s.unavailable, 1, t.id, t.name FROM technician_skills AS s"
      f" JOIN technicians AS t ON t.id = s.technician_id WHERE s.skill = :skill AND s.unavailable = {why}"
      f" ORDER BY s.technician_id LIMIT {EXAMPLES}) AS e{why}" for why in UNAVAILABLE),
    "SELECT -1, count(*), NULL, NULL FROM technician_skills WHERE skill = ''")))


def exclusions(session: Session, job: Job) -> Exclusions:
    """Who was not considered and why: counts by reason, with a few names each."""
    counts: dict[str, int] = {}
    names: dict[str, list[str]] = {}
    skilled = everyone = 0
    for why, n, tid, name in session.execute(_EXCLUSIONS, {"skill": job.skill}):
        if why == -1:
            everyone = n
        elif tid is not None:
            names.setdefault(UNAVAILABLE[why], []).append(f"{tid} {name}")
        else:
            skilled += n
            if why:
                counts[UNAVAILABLE[why]] = n
    if job.declined:
        counts["已拒单或超时"] = len(job.declined)
        names["已拒单或超时"] = sorted(job.declined)[:EXAMPLES]
    if everyone - skilled:
        counts[f"无{job.skill}技能"] = everyone - skilled
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
