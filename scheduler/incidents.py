"""The incident job: on each tick, gather recent reports that share a cause, tell people once each.

Run off the chat path, so the report dialog stays as it is: a burst is noticed within one tick of
the report that completes it. Every notice has a key per incident and person, so a tick that runs
twice tells nobody twice.
"""
from __future__ import annotations

from datetime import datetime

from domain import incidents as rules_of
from domain.incident_tickets import open_cause, park, settle_all
from domain.incidents import FaultKind, Report
from domain.model import Role
from domain.notices import Notice
from domain.rules import Rules
from domain.ticket import State
from storage.incidents import SqlIncidents
from storage.tables import IncidentRow, SiteRow, TicketRow
from storage.uow import SqlUnitOfWork


def gather(uow: SqlUnitOfWork, rules: Rules, now: datetime) -> int:
    """New links made this tick (a formed incident counts each of its tickets)."""
    policy = rules.incidents
    if not policy.enabled:
        return 0
    repo = SqlIncidents(uow.session)
    kinds = {k.code: k for k in policy.kinds}
    reports = _reports(repo.unlinked_reports(now - policy.window), policy.kinds)
    linked = _join_open(uow, rules, repo, reports, now)
    rest = [r for r in reports if r.number not in linked]
    linked |= _form(uow, rules, repo, kinds, rest, now)
    linked |= _from_above(uow, rules, repo, kinds, [r for r in rest if r.number not in linked], now)
    _resolve(uow, rules, repo, now)
    return len(linked)


def _reports(rows: list[tuple[TicketRow, SiteRow]], kinds: tuple[FaultKind, ...]) -> list[Report]:
    found = []
    for ticket, site in rows:
        kind = rules_of.fault_kind(ticket.description, kinds)
        if kind is not None:
            found.append(Report(ticket.number, ticket.customer_id, site.community, site.building, site.unit,
                                site.room, kind.code, ticket.created_at))
    return found


def _join_open(uow: SqlUnitOfWork, rules: Rules, repo: SqlIncidents, reports: list[Report],
               now: datetime) -> set[str]:
    """A report of a fault already known at that place joins the incident and waits for its cause job;
    its owner is told."""
    joined = set()
    for r in reports:
        incident = repo.open_at(r.kind, r.community, r.building)
        if incident is not None and repo.link(incident, r.number, now):
            _wait_for_cause(uow, rules, incident, r, now)
            joined.add(r.number)
    return joined


def _form(uow: SqlUnitOfWork, rules: Rules, repo: SqlIncidents, kinds: dict[str, FaultKind],
          reports: list[Report], now: datetime) -> set[str]:
    """A burst becomes an incident with one cause job (dispatched like any ticket); the reports wait."""
    formed = set()
    for burst in rules_of.bursts(reports, rules.incidents, now):
        lead = burst[0]
        incident = repo.add(lead, kinds[lead.kind].name, lead.number, now)
        tickets = [t for t in (uow.tickets.get(r.number) for r in burst) if t is not None]
        cause = open_cause(uow, rules, now, incident.id, incident.kind_name, (lead.community, lead.building), tickets)
        if cause is not None:
            incident.lead_number = cause.number
            repo.link(incident, cause.number, now)
        for r in burst:
            repo.link(incident, r.number, now)
            _wait_for_cause(uow, rules, incident, r, now)
            formed.add(r.number)
        _tell_desk(uow, incident, [r.number for r in burst], now)
    return formed


def _wait_for_cause(uow: SqlUnitOfWork, rules: Rules, incident: IncidentRow, r: Report, now: datetime) -> None:
    ticket = uow.tickets.get_for_update(r.number)
    if ticket is not None:
        park(uow, rules, now, ticket, incident.lead_number)
    _tell_owner(uow, incident, r.number, r.customer_id, now)


def _from_above(uow: SqlUnitOfWork, rules: Rules, repo: SqlIncidents, kinds: dict[str, FaultKind],
                reports: list[Report], now: datetime) -> set[str]:
    """Water through the ceiling, and the unit above has an open leak: that leak is the cause."""
    linked = set()
    for r in reports:
        above = rules_of.unit_above(r.room) if kinds[r.kind].from_above else None
        site = uow.session.get(SiteRow, _site_id(uow, r.number)) if above else None
        cause = repo.open_leak_above(site, above) if site is not None and above else None
        if cause is None or not rules_of.is_leak(cause.description):
            continue
        incident = repo.of_ticket(cause.number) or repo.add(r, kinds[r.kind].name, cause.number, now)
        repo.link(incident, cause.number, now)
        if repo.link(incident, r.number, now):
            _wait_for_cause(uow, rules, incident, r, now)
            _tell_desk(uow, incident, [cause.number, r.number], now,
                       f"【楼上漏水】{r.number}（{r.room}）天花板漏水，楼上 {above} 的工单 {cause.number} 正在处理漏水，已关联。")
            linked.add(r.number)
    return linked


def _site_id(uow: SqlUnitOfWork, number: str) -> int:
    ticket = uow.tickets.get(number)
    return ticket.site_id or 0 if ticket else 0


def _resolve(uow: SqlUnitOfWork, rules: Rules, repo: SqlIncidents, now: datetime) -> None:
    """The job on the cause is done: every other linked owner hears it, once, and is asked to confirm."""
    for incident in repo.open_incidents():
        lead = uow.tickets.get(incident.lead_number)
        if lead is None or lead.state not in (State.RESOLVED, State.CLOSED):
            continue
        repo.close(incident, now)
        settle_all(uow, rules, now, repo.numbers(incident.id), incident.kind_name, incident.lead_number)


def _tell_owner(uow: SqlUnitOfWork, incident: IncidentRow, number: str, customer_id: int, now: datetime) -> None:
    if number == incident.lead_number and incident.kind == "ceiling_leak":
        return   # the owner upstairs reported a leak of their own; nothing to add
    uow.outbox.add(Notice(Role.OWNER, str(customer_id), "incident",
                          rules_of.owner_text(incident.kind_name, incident.community, incident.building, number),
                          f"incident:{incident.id}:owner:{number}", number), now)


def _tell_desk(uow: SqlUnitOfWork, incident: IncidentRow, numbers: list[str], now: datetime,
               text: str = "") -> None:
    body = text or rules_of.dispatch_text(incident.kind_name, incident.community, incident.building, numbers,
                                         incident.lead_number)
    for person in uow.people.staff_with_role(Role.DISPATCHER):
        uow.outbox.add(Notice(Role.DISPATCHER, person.id, "incident", body,
                              f"incident:{incident.id}:desk:{person.id}:{len(numbers)}", incident.lead_number), now)
