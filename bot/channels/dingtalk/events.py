"""DingTalk's organisation events: people joining and leaving update the staff and technicians.

A technician who leaves stops receiving offers (inactive) and their open jobs go back to
dispatch, which offers them to the next candidate or tells the desk that nobody is left.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from bot.bootstrap import Desk
from domain.model import Role
from domain.rules import Rules
from domain.services import SYSTEM, dispatch, locked
from domain.ticket import Action, State
from storage.tables import StaffRow, TechnicianRow
from storage.uow import SqlUnitOfWork

log = logging.getLogger("baoxiu.dingtalk")
CHANNEL = "dingtalk"
OPEN_JOBS = (State.ASSIGNED, State.ACCEPTED, State.IN_PROGRESS, State.WAITING)
# Seeded identities were never seen: any real sighting on any channel is newer.
NEVER = datetime(2000, 1, 1, tzinfo=timezone.utc)
LEFT = "原师傅已离开组织"


def on_event(desk: Desk, event: dict[str, Any]) -> None:
    """One decrypted event (HTTP) or event frame (Stream); unknown kinds are ignored."""
    kind = event.get("EventType") or event.get("eventType")
    users = event.get("UserId") or event.get("userId") or []
    users = [u for u in (users if isinstance(users, list) else [users]) if isinstance(u, str) and u]
    if kind == "user_leave_org":
        for user in users:
            member_left(desk, user)
    elif kind == "user_add_org":
        for user in users:
            member_joined(desk, user)
    else:
        log.info("DingTalk event %s ignored", str(kind)[:40])


def member_left(desk: Desk, user_id: str) -> None:
    now = desk.clock()
    with desk.uow() as uow:
        for row in _rows(uow, StaffRow, user_id):
            row.active = False
        for row in _rows(uow, TechnicianRow, user_id):
            row.active = False
            uow.session.flush()
            moved = release_jobs(uow, desk.rules, now, row.id)
            log.info("technician %s left the organisation; %d open jobs back to dispatch", row.id, moved)
        uow.commit()


def member_joined(desk: Desk, user_id: str) -> None:
    """Someone with a record who comes back is active again; newcomers need a record first."""
    with desk.uow() as uow:
        rows = [*_rows(uow, StaffRow, user_id), *_rows(uow, TechnicianRow, user_id)]
        for row in rows:
            row.active = True
        _seed(uow, rows)
        uow.commit()
    if not rows:
        log.info("a new DingTalk member has no staff or technician record yet")


def release_jobs(uow: SqlUnitOfWork, rules: Rules, now: datetime, tech_id: str) -> int:
    """Every open job of the technician goes back through dispatch, with the reason on the trail.

    The transition table has no step from a taken job back to `new`; it is walked as a system
    reassignment followed by an expiry, so dispatch (single offer or grab) runs as for any job.
    """
    numbers = [t.number for t in uow.tickets.for_technician(tech_id, OPEN_JOBS)]
    for number in numbers:
        ticket = locked(uow, number)
        if ticket.state is not State.ASSIGNED:
            ticket.apply(Action.ASSIGN, SYSTEM.label, now, LEFT)
        ticket.apply(Action.EXPIRE, SYSTEM.label, now, LEFT + "，退回派单")
        ticket.declined = [*ticket.declined, tech_id]
        ticket.assignee_id, ticket.offer_expires_at = None, None
        ticket.offered = [t for t in ticket.offered if t != tech_id]
        dispatch(uow, rules, now, ticket)
    return len(numbers)


def seed_identities(desk: Desk) -> None:
    """Staff and technicians with a DingTalk userid can be sent offers before they first write."""
    with desk.uow() as uow:
        techs = uow.session.scalars(select(TechnicianRow).where(TechnicianRow.dingtalk_userid != ""))
        staff = uow.session.scalars(select(StaffRow).where(StaffRow.dingtalk_userid != ""))
        _seed(uow, [*techs, *staff])
        uow.commit()


def _seed(uow: SqlUnitOfWork, rows: Iterable[TechnicianRow | StaffRow]) -> None:
    for row in rows:
        if row.active and uow.identities.find(CHANNEL, row.dingtalk_userid) is None:
            role = Role.TECHNICIAN if isinstance(row, TechnicianRow) else row.role
            uow.identities.touch(CHANNEL, row.dingtalk_userid, str(role), row.id, NEVER)


def _rows(uow: SqlUnitOfWork, table: type[TechnicianRow] | type[StaffRow], user_id: str) -> list[Any]:
    return list(uow.session.scalars(select(table).where(table.dingtalk_userid == user_id)))
