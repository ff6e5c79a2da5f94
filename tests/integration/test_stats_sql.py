"""The figures the database counts agree with the domain's definitions (domain.stats) on both backends."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import case, insert, select, update

from bot.bootstrap import Desk
from domain.statements import StatementLine, month_span
from domain.stats import day_figures, is_parts_wait, quality, ranking
from domain.ticket import OPEN_STATES, State, Ticket
from storage import stats_query
from storage.statements import load_statement
from storage.uow import SqlUnitOfWork
from storage.tables import AssetRow, CustomerRow, ProductRow, SiteRow, TicketEventRow, TicketRow

NOW = datetime(2026, 11, 23, 6, tzinfo=timezone.utc)
REGIONS = ("西湖区", "滨江区", "")
REASONS = ("等配件到货", "客户不在家", "缺件，调货中", "")


def _ticket(i: int, rng: random.Random, skus: list[str]) -> dict:  # type: ignore[type-arg]
    created = NOW - timedelta(seconds=rng.randrange(0, 4 * 86400))
    def later() -> datetime | None:
        return created + timedelta(seconds=rng.randrange(60, 86400)) if rng.random() < 0.7 else None
    accepted, resolved = later(), later()
    state = rng.choice([*OPEN_STATES, State.CLOSED, State.CLOSED, State.CANCELLED])
    closed = (resolved or created) + timedelta(hours=2) if state is State.CLOSED else None
    return dict(number=f"BX{i:05d}", type="repair", priority="normal", description="", customer_id=1,
                state=state.value, created_at=created, accepted_at=accepted, resolved_at=resolved, closed_at=closed,
                accept_by=created + timedelta(hours=rng.choice((1, 30))), resolve_by=created + timedelta(hours=20),
                rating=rng.choice((None, 1, 3, 5)) if closed else None, site_id=rng.choice((None, 1, 2, 3)),
                product_sku=rng.choice((None, *skus[:4])), asset_id=rng.choice((None, 1, 2, 3, 4)),
                reopen_count=int(rng.random() < 0.2), parts_cents=rng.choice((0, 4500, 12000)),
                breaches=rng.choice(([], ["resolve"])), callback_state=rng.choice(("", "open", "done")),
                assignee_id=rng.choice((None, "", "T01", "T02", "T03", "T04")), declined=[], photos=[], offered=[], sla_fired=[], pauses=[])


def _seed(desk: Desk, rng: random.Random) -> None:
    with desk.uow() as uow:
        s = uow.session
        skus = list(s.scalars(select(ProductRow.sku).order_by(ProductRow.sku)))
        s.execute(insert(CustomerRow), [dict(id=1, phone="13800138000", name="", created_at=NOW)])
        s.execute(insert(SiteRow), [dict(id=i + 1, community="翠湖花园", building=str(i), region=r)
                                    for i, r in enumerate(REGIONS)])
        s.execute(insert(AssetRow), [dict(id=i, sku=skus[i], customer_id=1, purchase_date=date(2025, 1, 1))
                                     for i in range(1, 5)])
        s.execute(insert(TicketRow), [_ticket(i, rng, skus) for i in range(400)])
        events = [dict(ticket_id=rng.randrange(1, 401), at=NOW - timedelta(seconds=rng.randrange(0, 3 * 86400)),
                       actor="x", action=rng.choice(("hold", "sla_breach", "accept")), from_state="new",
                       to_state="new", reason=rng.choice(REASONS)) for _ in range(300)]
        s.execute(insert(TicketEventRow), events)
        uow.commit()


def test_day_and_period_figures_count_as_the_definitions_do(desk: Desk) -> None:
    _seed(desk, random.Random(5))
    with desk.uow() as uow:
        t = uow.tickets
        for start, days in ((NOW - timedelta(days=1), 1), (NOW - timedelta(days=3), 3), (NOW, 1)):
            end = start + timedelta(days=days)
            expected = day_figures(t.between("created_at", start, end), t.between("accepted_at", start, end),
                                   t.between("resolved_at", start, end), t.between("closed_at", start, end),
                                   t.count_open(), t.count_open(overdue_at=NOW), t.count_events("sla_breach", start, end),
                                   t.count_callbacks("open"))
            assert stats_query.figures(uow.session, start, end, NOW) == expected
            if days == 3:   # the data exercise every figure
                assert expected.created and expected.resolved_in_time < expected.resolved and expected.rated
                assert expected.breaches and expected.overdue and expected.callbacks_open


def test_quality_counts_first_time_fixes_repeats_and_parts_as_the_definition_does(desk: Desk) -> None:
    _seed(desk, random.Random(6))
    with desk.uow() as uow:
        start, end = NOW - timedelta(days=3), NOW + timedelta(days=1)
        closed = [t for t in uow.tickets.between("closed_at", start, end) if t.state is State.CLOSED]
        expected = quality(closed, _regions(closed), *_history_and_waits(uow, closed))
        assert stats_query.quality(uow.session, start, end) == expected
        assert expected.total.repeats and expected.total.first_time_fixed < expected.total.tickets


def _regions(tickets: list[Ticket]) -> dict[str, str]:
    return {t.number: REGIONS[t.site_id - 1] if t.site_id else "" for t in tickets}


def _history_and_waits(uow: SqlUnitOfWork, tickets: list[Ticket]) -> tuple[dict[int, list[Ticket]], set[str]]:
    history = uow.tickets.for_assets({t.asset_id for t in tickets if t.asset_id})
    holds = uow.tickets.hold_reasons({t.id for t in tickets if t.id is not None})
    return history, {t.number for t in tickets if any(is_parts_wait(r) for r in holds.get(t.id or -1, []))}


def _finished(uow: SqlUnitOfWork, start: datetime, end: datetime) -> list[Ticket]:
    return [t for t in uow.tickets.between("resolved_at", start, end) if t.state in (State.RESOLVED, State.CLOSED)]


def test_the_ranking_and_the_breakdowns_count_finished_jobs_as_the_definitions_do(desk: Desk) -> None:
    _seed(desk, random.Random(7))
    with desk.uow() as uow:
        for start, days in ((NOW - timedelta(days=1), 1), (NOW - timedelta(days=4), 5)):
            end = start + timedelta(days=days)
            done = _finished(uow, start, end)
            history, waited = _history_and_waits(uow, done)
            expected = ranking(done, waited)
            assert uow.tickets.ranking(start, end) == expected
            assert uow.tickets.quality(start, end, over="resolved") == quality(done, _regions(done), history, waited)
        # the data exercise every column: unassigned jobs, ties broken, first-time fixes and misses
        assert len(expected) == 4 and sum(r.jobs for r in expected) < len(done)
        assert all(0 < r.first_time_fixed < r.jobs and 0 < r.on_time < r.jobs and r.rated for r in expected)


def test_a_charts_counts_are_the_days_tickets_as_loaded_and_counted_one_by_one(desk: Desk) -> None:
    _seed(desk, random.Random(8))
    tz = desk.rules.tz
    with desk.uow() as uow:
        t = uow.tickets
        # a day's last instant and the next day's first fall on either side of the desk's midnight
        t.save(replace(t.between("created_at", NOW - timedelta(days=1), NOW)[0],
                       created_at=datetime(2026, 11, 21, 15, 59, 59, 999999, timezone.utc)))
        uow.commit()
    with desk.uow() as uow:
        t = uow.tickets
        start = datetime(2026, 11, 20, tzinfo=tz)
        end = start + timedelta(days=4)
        created = t.between("created_at", start, end)
        closed = [x for x in t.between("closed_at", start, end) if x.state is State.CLOSED]
        resolved = t.between("resolved_at", start, end)
        counts = t.chart_counts(start, end, tz)
    assert counts.created_per_day == dict(Counter(x.created_at.astimezone(tz).date() for x in created))
    assert counts.closed_per_day == dict(Counter(x.closed_at.astimezone(tz).date() for x in closed if x.closed_at))
    assert (counts.resolved, counts.resolved_in_time) == (len(resolved), sum(1 for x in resolved if not x.breaches))
    rated = [x.rating for x in closed if x.rating is not None]
    assert (counts.rating_sum, counts.rated) == (sum(rated), len(rated)) and rated
    regions = {1: REGIONS[0], 2: REGIONS[1], 3: "未分区"}
    assert counts.by_region == dict(Counter(regions[x.site_id] if x.site_id else "未知" for x in created))
    assert counts.by_product == dict(Counter(x.product_sku or "" for x in created))
    jobs: dict[str, tuple[int, int, int]] = {}
    for x in closed:
        if x.assignee_id:
            n, total, count = jobs.get(x.assignee_id, (0, 0, 0))
            jobs[x.assignee_id] = (n + 1, total + (x.rating or 0), count + (x.rating is not None))
    assert counts.by_technician == jobs and len(jobs) == 4
    assert len(counts.created_per_day) == 4 and datetime(2026, 11, 21, tzinfo=tz).date() in counts.created_per_day


def test_a_statement_sums_the_months_closed_jobs_as_adding_them_one_by_one_does(desk: Desk) -> None:
    _seed(desk, random.Random(9))
    with desk.uow() as uow:   # some jobs in warranty, all with labour and a charge
        uow.session.execute(update(TicketRow).values(labour_cents=TicketRow.id * 100, charge_cents=TicketRow.id * 7,
                                                     warranty=case((TicketRow.id % 3 == 0, "in"), else_="expired")))
        uow.commit()
    month = NOW.astimezone(desk.rules.tz).date()
    start, end = month_span(month, desk.rules.tz)
    with desk.uow() as uow:
        closed = [t for t in uow.tickets.between("closed_at", start, end) if t.state is State.CLOSED]
        def named(tid: str | None) -> str:
            return (tech.name if (tech := uow.people.technician(tid)) else tid) if tid else "未派"
        for by, key in (("technician", lambda t: named(t.assignee_id)),
                        ("region", lambda t: REGIONS[t.site_id - 1] or "未分区" if t.site_id else "未分区")):
            got = load_statement(uow, desk.rules, month, by)
            groups: dict[str, list[Ticket]] = {}
            for t in closed:
                groups.setdefault(key(t), []).append(t)
            assert got.lines == tuple(_line(name, groups[name]) for name in sorted(groups)) and len(got.lines) > 2
            assert got.total == _line("合计", closed) and got.total.warranty_jobs and got.total.paid_cents


def _line(name: str, jobs: list[Ticket]) -> StatementLine:
    warranty = [t for t in jobs if t.warranty == "in"]
    return StatementLine(name, len(jobs), sum(t.labour_cents for t in jobs), sum(t.parts_cents for t in jobs),
                         sum(t.charge_cents for t in jobs), len(warranty),
                         sum(t.labour_cents + t.parts_cents for t in warranty))
