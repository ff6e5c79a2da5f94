"""The managers' figures as SQL aggregates: what they cost grows with the period asked for, not the table.

`domain.stats` holds the definitions (and stays the reference the tests compare with); these
are the same sums counted by the database over indexed timestamps (created_at, accepted_at,
resolved_at, closed_at, ticket_events(action, at)), so 今日统计 over a million tickets reads
the day's rows. On PostgreSQL those indexes carry the columns the figures read (migration 0018):
a period is counted from its index entries alone, never from heap pages spread over years of
tickets. Open and overdue counts read the open tickets only.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Integer, Text, and_, case, cast, func, literal, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from domain.stats import (PARTS_WAIT_WORDS, REPEAT_WINDOW, ChartCounts, DayFigures, Group, Over, Quality, TechnicianRow,
                          ranked)
from domain.ticket import OPEN_STATES, State
from storage.tables import SiteRow, TicketEventRow, TicketRow

UNKNOWN = "未知"   # the group of tickets with no product or region, as domain.stats names it
FINISHED = (State.RESOLVED.value, State.CLOSED.value)   # what 师傅排行 and the breakdowns count


def _seconds(session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _mean(seconds: float | None, count: int) -> timedelta | None:
    # The sum to the millisecond (SQLite's day numbers carry some tens of microseconds of rounding),
    # then divided as domain.stats divides timedeltas.
    return timedelta(milliseconds=round(float(seconds) * 1000)) / count if count and seconds is not None else None


def _in(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def figures(session: Session, start: datetime, end: datetime, now: datetime) -> DayFigures:
    """`domain.stats.day_figures` for the period [start, end); open and overdue as of `now`."""
    t = TicketRow
    created = session.scalar(select(func.count()).select_from(t).where(_in(t.created_at, start, end))) or 0
    accepted, accept_sum = session.execute(select(func.count(), func.sum(_seconds(session, t.accepted_at, t.created_at)))
                                           .where(_in(t.accepted_at, start, end))).one()
    resolved, resolve_sum, in_time = _resolved(session, start, end)
    closed, rated, rating = session.execute(
        select(func.count(), func.count(t.rating), func.avg(t.rating)).where(_in(t.closed_at, start, end))).one()
    return DayFigures(
        created=created, closed=closed, open=count_open(session), overdue=count_open(session, now),
        avg_accept=_mean(accept_sum, accepted), avg_resolve=_mean(resolve_sum, resolved),
        avg_rating=float(rating) if rating is not None else None, rated=rated,
        breaches=count_events(session, "sla_breach", start, end), resolved=resolved,
        resolved_in_time=in_time, callbacks_open=count_callbacks(session, "open"))


def _resolved(session: Session, start: datetime, end: datetime) -> tuple[int, Any, int]:
    """Tickets resolved in [start, end): how many, their seconds from opening summed, how many in time."""
    t = TicketRow
    count, seconds, in_time = session.execute(
        select(func.count(), func.sum(_seconds(session, t.resolved_at, t.created_at)), func.sum(_on_time()))
        .where(_in(t.resolved_at, start, end))).one()
    return count, seconds, int(in_time or 0)


def _on_time() -> ColumnElement[int]:
    """1 for a ticket with no deadline missed: an empty JSON list of breaches."""
    return case((func.coalesce(cast(TicketRow.breaches, Text), "[]").in_(["[]", "null"]), 1), else_=0)


def breached(now: datetime) -> ColumnElement[bool]:
    """Any deadline missed: accepted, arrived or resolved after its time, or still not done by now."""
    t = TicketRow
    return or_(t.accept_by < func.coalesce(t.accepted_at, now), t.arrive_by < func.coalesce(t.arrived_at, now),
               t.resolve_by < now)


def count_open(session: Session, overdue_at: datetime | None = None) -> int:
    stmt = select(func.count()).select_from(TicketRow).where(TicketRow.state.in_([s.value for s in OPEN_STATES]))
    if overdue_at is not None:
        stmt = stmt.where(breached(overdue_at))
    return session.scalar(stmt) or 0


def count_callbacks(session: Session, state: str = "open") -> int:
    return session.scalar(select(func.count()).select_from(TicketRow).where(TicketRow.callback_state == state)) or 0


def count_events(session: Session, action: str, start: datetime, end: datetime) -> int:
    return session.scalar(select(func.count()).select_from(TicketEventRow).where(
        TicketEventRow.action == action, _in(TicketEventRow.at, start, end))) or 0


def _span(session: Session, over: Over, start: datetime, end: datetime) -> tuple[int, datetime, datetime] | None:
    """The period's first ticket id and the earliest and latest opening among its tickets (None: no ticket),
    read from the period's index entries: they bound what the checks below read of other tickets."""
    w = TicketRow
    # min(id + 0): over the period's entries, not a walk of the primary key from the first ticket ever
    first, earliest, latest = session.execute(
        select(func.min(w.id + 0), func.min(w.created_at), func.max(w.created_at)).where(_done(over, start, end))).one()
    return None if first is None else (first, earliest, latest)


def _repeated(session: Session, over: Over, start: datetime, end: datetime, earliest: datetime,
              latest: datetime) -> Any:
    """The ids of the period's tickets whose asset had another job closed within the window before they opened.

    Joined as a set: the other jobs read are those closed from the window before the period's earliest
    opening to its latest, by the closing-time index, so what the period holds, not the asset's history.
    """
    t, other = aliased(TicketRow), aliased(TicketRow)
    if session.get_bind().dialect.name == "postgresql":
        within = other.closed_at >= t.created_at - literal(REPEAT_WINDOW)
    else:
        within = func.julianday(t.created_at) - func.julianday(other.closed_at) <= REPEAT_WINDOW.total_seconds() / 86400
    # by id, not number (one to one); the bounds only prune (a second more for SQLite's day numbers)
    return (select(t.id).join(other, and_(other.asset_id == t.asset_id, other.id != t.id,
                                           other.closed_at <= t.created_at, within))
            .where(_done(over, start, end, t), t.asset_id.is_not(None),
                   _in(other.closed_at, earliest - REPEAT_WINDOW - timedelta(seconds=1), latest + timedelta(seconds=1)))
            .distinct().subquery("repeated"))


def _held_for_parts(first: int) -> Any:
    """The ids of tickets from `first` on put on hold, at least once, for a reason that says it waited for parts.

    Joined, not probed per ticket: the holds read are those of tickets numbered from the period's first one
    on (ids grow with time), so the period's holds, read from the partial index of holds alone.
    """
    e = TicketEventRow
    # 'hold' written out, not bound: the partial index (ix_ticket_events_holds) then answers it
    return (select(e.ticket_id).where(e.action == literal_column("'hold'"), e.ticket_id >= first,
                                      or_(*(e.reason.contains(word, autoescape=True) for word in PARTS_WAIT_WORDS)))
            .distinct().subquery("held"))


def _done(over: Over, start: datetime, end: datetime, t: Any = TicketRow) -> ColumnElement[bool]:
    """Closed in [start, end) (`over="closed"`), or finished: resolved in it and now resolved or closed."""
    if over == "closed":
        return and_(t.state == State.CLOSED.value, _in(t.closed_at, start, end))
    return and_(t.state.in_(FINISHED), _in(t.resolved_at, start, end))


def quality(session: Session, start: datetime, end: datetime, over: Over = "closed") -> Quality:
    """`domain.stats.quality` over tickets closed in [start, end), or finished in it (`over="resolved"`)."""
    span = _span(session, over, start, end)
    if span is None:
        return Quality(Group(0, 0, 0, 0), {}, {})
    t, held, repeated = TicketRow, _held_for_parts(span[0]), _repeated(session, over, start, end, *span[1:])
    repeat = case((or_(t.reopen_count > 0, repeated.c.id.is_not(None)), 1), else_=0)
    rows = session.execute(
        select(t.product_sku, SiteRow.region, func.count(), func.sum(_first_time(held)), func.sum(repeat),
               func.sum(t.parts_cents))
        .outerjoin(SiteRow, SiteRow.id == t.site_id)
        .outerjoin(held, held.c.ticket_id == t.id)
        .outerjoin(repeated, repeated.c.id == t.id)
        .where(_done(over, start, end))
        .group_by(t.product_sku, SiteRow.region)).all()
    by_product: dict[str, list[int]] = {}
    by_region: dict[str, list[int]] = {}
    total = [0, 0, 0, 0]
    for sku, area, *sums in rows:
        for groups, key in ((by_product, sku or UNKNOWN), (by_region, area or UNKNOWN)):
            _add(groups.setdefault(key, [0, 0, 0, 0]), sums)
        _add(total, sums)
    return Quality(Group(*total), _groups(by_product), _groups(by_region))


def _first_time(held: Any) -> ColumnElement[int]:
    """1 for a ticket fixed on the first visit: never reopened, never held for parts (not in `held`)."""
    return case((and_(TicketRow.reopen_count == 0, held.c.ticket_id.is_(None)), 1), else_=0)


def ranking(session: Session, start: datetime, end: datetime) -> list[TechnicianRow]:
    """`domain.stats.ranking` over the tickets finished in [start, end), summed per technician."""
    span = _span(session, "resolved", start, end)
    if span is None:
        return []
    t, held = TicketRow, _held_for_parts(span[0])
    rows = session.execute(
        select(t.assignee_id, func.count(), func.sum(_first_time(held)), func.sum(_on_time()),
               func.coalesce(func.sum(t.rating), 0), func.count(t.rating))
        .outerjoin(held, held.c.ticket_id == t.id)
        .where(_done("resolved", start, end), t.assignee_id.is_not(None), t.assignee_id != "")
        .group_by(t.assignee_id)).all()
    return ranked([TechnicianRow(str(tech), *(int(v or 0) for v in sums)) for tech, *sums in rows])


def _add(into: list[int], sums: list[Any]) -> None:
    for i, value in enumerate(sums):
        into[i] += int(value or 0)


def _groups(groups: dict[str, list[int]]) -> dict[str, Group]:
    return {k: Group(*v) for k, v in sorted(groups.items())}


QUARTER = 900   # seconds: every zone's midnight falls on a UTC quarter hour, so days are summed from them


def _quarter(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC quarter hour a timestamp falls in, counted from 1970 (the tables hold UTC)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.floor(func.extract("epoch", column).op("/")(QUARTER))
    # to the whole second first: strftime('%s') rounds a fraction up, 23:59:59.9 into the next day
    return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer).op("/")(QUARTER)


def _per_day(rows: Any, tz: tzinfo) -> dict[date, list[int]]:
    """Sums per quarter hour added up per day in the desk's zone."""
    days: dict[date, list[int]] = {}
    for quarter, *sums in rows:
        day = datetime.fromtimestamp(int(quarter) * QUARTER, timezone.utc).astimezone(tz).date()
        _add(days.setdefault(day, [0] * len(sums)), sums)
    return days


def _region_name(sited: bool, region: str | None) -> str:
    """As the chart names a ticket's region: 未知 without a site, 未分区 for a site without a region."""
    return (region or "未分区") if sited else "未知"


def chart_counts(session: Session, start: datetime, end: datetime, tz: tzinfo) -> ChartCounts:
    """The counts behind `domain.charts.chart_figures` over [start, end), days in the zone `tz`."""
    t = TicketRow
    made = _in(t.created_at, start, end)
    done = and_(t.state == State.CLOSED.value, _in(t.closed_at, start, end))
    created = _per_day(session.execute(
        select(_quarter(session, t.created_at).label("q"), func.count()).where(made).group_by("q")), tz)
    closed = _per_day(session.execute(
        select(_quarter(session, t.closed_at).label("q"), func.count(), func.coalesce(func.sum(t.rating), 0),
               func.count(t.rating)).where(done).group_by("q")), tz)
    by_region: dict[str, int] = {}
    by_product: dict[str, int] = {}
    sited = func.coalesce(t.site_id, 0) != 0
    for sku, is_sited, region, count in session.execute(
            select(t.product_sku, sited, SiteRow.region, func.count()).outerjoin(SiteRow, SiteRow.id == t.site_id)
            .where(made).group_by(t.product_sku, sited, SiteRow.region)):
        name = _region_name(bool(is_sited), region)
        by_region[name] = by_region.get(name, 0) + count
        by_product[sku or ""] = by_product.get(sku or "", 0) + count
    technicians = session.execute(
        select(t.assignee_id, func.count(), func.coalesce(func.sum(t.rating), 0), func.count(t.rating))
        .where(done, t.assignee_id.is_not(None), t.assignee_id != "").group_by(t.assignee_id))
    resolved, _, in_time = _resolved(session, start, end)
    return ChartCounts(
        {d: v[0] for d, v in created.items()}, {d: v[0] for d, v in closed.items()}, resolved, in_time,
        sum(v[1] for v in closed.values()), sum(v[2] for v in closed.values()), by_region, by_product,
        {str(tech): (int(n), int(total or 0), int(rated)) for tech, n, total, rated in technicians})
