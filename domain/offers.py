"""Offers and dispatch: choosing the technician, offering or posting for grabs, the answers, expiry."""
from __future__ import annotations

from datetime import datetime, timedelta

from domain import proposals, texts
from domain.actors import SYSTEM, Actor
from domain.commands import AcceptOffer, RejectOffer
from domain.deadlines import set_deadlines
from domain.dispatch import TIE_BREAK, Candidate, Exclusions, Job, score_text, weights_line
from domain.errors import Refused
from domain.model import Product, Role, Site
from domain.notices import Notice
from domain.ports import PartsRead, UnitOfWork
from domain.rules import Rules
from domain.saving import keep, locked
from domain.skills import around_the_clock, skill_of
from domain.telling import notice_key, notify, tell_desk, tell_owner
from domain.ticket import Action, State, Ticket


def dispatch(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket) -> None:
    """Offer the ticket to the best technician (or, in grab mode, to all who fit), or tell the desk.

    The ranking runs in the database (storage/dispatch_query.py, the same sum as
    domain.dispatch.rank), so its cost does not grow with the roster.
    """
    if ticket.type in texts.NO_VISIT:  # handled by a call from the desk: no technician is sent
        keep(uow, rules, ticket)
        tell_desk(uow, now, ticket, "unassigned", texts.for_the_desk(ticket, rules))
        return
    # Read once, in one go: the choice and the offer's text need the product and site, its parts line
    # what fits the product and what fixed it before.
    product, site, parts = uow.places.job_facts(ticket.product_sku, ticket.site_id) if ticket.product_sku \
        else (*uow.places.product_and_site(None, ticket.site_id), None)
    facts = product, site
    skill = skill_of(uow, ticket, product)
    if not skill:  # offering it to anyone could send a carpenter to a burst pipe
        keep(uow, rules, ticket)
        tell_desk(uow, now, ticket, "unassigned", texts.skill_unknown(ticket))
        return
    job = Job(skill, site.region if site else "", frozenset(ticket.declined))
    grab = rules.dispatch_mode == "grab"
    ranked = uow.people.candidates(job, rules.region_neighbours, rules.weights, now,
                                   rules.grab_limit if grab else 10)
    if not ranked:
        keep(uow, rules, ticket)
        if around_the_clock(ticket, rules):  # nobody on duty for a round-the-clock job: wake the managers too
            text = texts.nobody_on_duty(ticket, rules)
            tell_desk(uow, now, ticket, "unassigned", text)
            for person in uow.people.staff_with_role(Role.MANAGER):
                notify(uow, now, Notice(Role.MANAGER, person.id, "unassigned", text,
                                        notice_key(ticket, f"unassigned-{person.id}", now), ticket.number))
        else:
            tell_desk(uow, now, ticket, "unassigned", texts.nobody_left(ticket))
    elif grab:
        post_for_grabs(uow, rules, now, ticket, [c.tech.id for c in ranked], facts, parts)
    else:
        offer(uow, rules, now, ticket, ranked[0].tech.id, Action.OFFER, SYSTEM, f"得分 {score_text(ranked[0].score)}",
              facts, parts)
    # Logged after the move, which saved the ticket: its row id is what the log refers to.
    uow.tickets.log_decision(ticket, now, rules.dispatch_mode, [c.tech.id for c in ranked[:1 if not grab else None]],
                             explain(ranked, uow.people.exclusions(job), rules))


def explain(ranked: list[Candidate], out: Exclusions, rules: Rules) -> list[str]:
    """The decision as `ticket show` prints it: weights, candidates, why the winner won, who was left out."""
    lines = [weights_line(rules.weights), *[c.explain() for c in ranked]]
    if len(ranked) > 1:
        tie = ranked[0].score == ranked[1].score
        lines.append(f"胜出：{ranked[0].tech.id} 得分最高" + (f"（与 {ranked[1].tech.id} 同分，{TIE_BREAK}）" if tie else ""))
    return lines + out.lines()


def post_for_grabs(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket, tech_ids: list[str],
                   facts: Facts | None = None, parts: PartsRead | None = None) -> None:
    ticket.apply(Action.OFFER, SYSTEM.label, now, f"抢单：{'、'.join(tech_ids)}")
    ticket.assignee_id, ticket.offered = None, tech_ids
    ticket.offer_expires_at = _offer_until(ticket, rules, now, rules.grab_timeout)
    keep(uow, rules, ticket)
    text = _with_parts(uow, ticket, texts.grab_offer(ticket, rules, *(facts or _facts(uow, ticket))), parts)
    for tech_id in tech_ids:
        notify(uow, now, Notice(Role.TECHNICIAN, tech_id, "offer", text, notice_key(ticket, f"grab-{tech_id}", now),
                                ticket.number, (f"抢单 {ticket.number}",)))


def _offer_until(ticket: Ticket, rules: Rules, now: datetime, span: timedelta) -> datetime:
    """An offer runs on the ticket's SLA calendar: made at 23:00 for a business-hours job, it waits for
    the morning instead of running through every technician overnight."""
    policy = rules.policy(ticket.type, ticket.priority)
    calendar = rules.calendars.get(policy.calendar) if policy else None
    return calendar.add(now, span) if calendar else now + span


def _with_parts(uow: UnitOfWork, ticket: Ticket, text: str, parts: PartsRead | None = None) -> str:
    """The technician sees what to bring before accepting."""
    line = proposals.proposal_line(uow, ticket, parts)
    return f"{text}\n{line}" if line else text


Facts = tuple[Product | None, Site | None]   # the ticket's product and place, as an offer tells them


def _facts(uow: UnitOfWork, ticket: Ticket) -> Facts:
    return uow.places.product_and_site(ticket.product_sku, ticket.site_id)   # one read, not two


def offer(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket, tech_id: str,
          action: Action, by: Actor, reason: str, facts: Facts | None = None,
          parts: PartsRead | None = None) -> None:
    was_waiting = ticket.state is State.WAITING
    ticket.apply(action, by.label, now, f"{tech_id}（{reason}）" if reason else tech_id)
    if was_waiting:  # a reassign ends the pause: credit it like a resume
        set_deadlines(ticket, rules, ticket.created_at)
    ticket.assignee_id, ticket.offered = tech_id, []
    ticket.offer_expires_at = _offer_until(ticket, rules, now, rules.offer_timeout)
    uow.people.mark_offered(tech_id, now)
    keep(uow, rules, ticket)
    text = _with_parts(uow, ticket, texts.offer(ticket, rules, *(facts or _facts(uow, ticket))), parts)
    notify(uow, now, Notice(Role.TECHNICIAN, tech_id, "offer", text, notice_key(ticket, f"offer-{tech_id}", now),
                            ticket.number, (f"接单 {ticket.number}", f"拒单 {ticket.number}")))


def _offered_to(ticket: Ticket, tech_id: str) -> bool:
    return ticket.state is State.ASSIGNED and (
        ticket.assignee_id == tech_id or (ticket.assignee_id is None and tech_id in ticket.offered))


def accept_offer(uow: UnitOfWork, rules: Rules, now: datetime, cmd: AcceptOffer) -> Ticket:
    """Exactly one technician wins: the ticket row is locked and its state checked under the lock."""
    tech = cmd.tech
    ticket = locked(uow, cmd.number)
    if not _offered_to(ticket, tech.id):
        raise Refused(texts.not_your_offer(ticket, uow.people.technician(ticket.assignee_id or "")))
    others = [t for t in ticket.offered if t != tech.id]
    ticket.apply(Action.ACCEPT, tech.label, now)
    ticket.assignee_id, ticket.offered = tech.id, []
    ticket.accepted_at, ticket.offer_expires_at = now, None
    keep(uow, rules, ticket)
    person = uow.people.technician(tech.id)
    tell_owner(uow, now, ticket, "accepted", texts.accepted_for_owner(ticket, person))
    for other in others:
        notify(uow, now, Notice(Role.TECHNICIAN, other, "offer_taken", texts.taken(ticket, person),
                                notice_key(ticket, f"taken-{other}", now), ticket.number))
    return ticket


def reject_offer(uow: UnitOfWork, rules: Rules, now: datetime, cmd: RejectOffer) -> Ticket:
    tech, reason = cmd.tech, cmd.reason
    ticket = locked(uow, cmd.number)
    if not _offered_to(ticket, tech.id):
        raise Refused(texts.not_your_offer(ticket, None))
    if ticket.assignee_id is None:  # grab mode: this one steps back, the others may still grab
        ticket.offered = [t for t in ticket.offered if t != tech.id]
        ticket.declined = [*ticket.declined, tech.id]
        ticket.record("reject", tech.label, now, reason)
        if not ticket.offered:
            _back_to_dispatch(ticket, Action.REJECT, SYSTEM.label, now, "无人抢单")
            tell_desk(uow, now, ticket, "unassigned", texts.nobody_left(ticket))
        keep(uow, rules, ticket)
        return ticket
    _back_to_dispatch(ticket, Action.REJECT, tech.label, now, reason)
    dispatch(uow, rules, now, ticket)
    return ticket


def expire_offers(uow: UnitOfWork, rules: Rules, now: datetime) -> int:
    """Offers nobody answered in time go to the next candidate; an unanswered grab goes to the desk."""
    numbers = uow.tickets.offers_expired(now)
    for number in numbers:
        ticket = uow.tickets.get_for_update(number)
        if ticket is None or ticket.state is not State.ASSIGNED or not ticket.offer_expires_at \
                or ticket.offer_expires_at > now:
            continue
        missed = [ticket.assignee_id] if ticket.assignee_id else list(ticket.offered)
        _back_to_dispatch(ticket, Action.EXPIRE, SYSTEM.label, now, "超时未接单")
        for tech_id in missed:
            notify(uow, now, Notice(Role.TECHNICIAN, tech_id, "expired", texts.offer_expired(ticket),
                                    notice_key(ticket, f"expired-{tech_id}", now), ticket.number))
        if len(missed) > 1:  # a grab nobody took: a person decides, instead of posting it again
            keep(uow, rules, ticket)
            tell_desk(uow, now, ticket, "unassigned", texts.nobody_left(ticket))
        else:
            dispatch(uow, rules, now, ticket)
    return len(numbers)


def _back_to_dispatch(ticket: Ticket, action: Action, actor: str, now: datetime, reason: str) -> None:
    ticket.apply(action, actor, now, reason)
    declined = [ticket.assignee_id] if ticket.assignee_id else ticket.offered
    ticket.declined = [*ticket.declined, *[t for t in declined if t not in ticket.declined]]
    ticket.assignee_id, ticket.offer_expires_at, ticket.offered = None, None, []
