"""DingTalk's organisation events: people joining and leaving update the staff and technicians.

A technician who leaves stops receiving offers (inactive) and their open jobs go back to
dispatch, which offers them to the next candidate or tells the desk that nobody is left.
"""
from __future__ import annotations

import logging
from typing import Any

from bot.bootstrap import Desk
from domain.commands import ReleaseJobs
from domain.model import Role
from domain.staffing import release_jobs
from storage.tables import StaffRow, TechnicianRow
from storage.uow import SqlUnitOfWork

log = logging.getLogger("baoxiu.dingtalk")
CHANNEL = "dingtalk"


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
        row = _row(uow, user_id)
        if row is not None:
            row.active = False
        if isinstance(row, TechnicianRow):
            uow.session.flush()
            moved = release_jobs(uow, desk.rules, now, ReleaseJobs(row.id))
            log.info("technician %s left the organisation; %d open jobs back to dispatch", row.id, moved)
        uow.commit()


def member_joined(desk: Desk, user_id: str) -> None:
    """Someone with a record who comes back is active again; newcomers need a record first."""
    with desk.uow() as uow:
        row = _row(uow, user_id)
        if row is not None:
            row.active = True
        uow.commit()
    if row is None:
        log.info("a new DingTalk member has no staff or technician record yet")


def _row(uow: SqlUnitOfWork, user_id: str) -> TechnicianRow | StaffRow | None:
    """The roster's record of this DingTalk user (their userid is in the identities table)."""
    who = uow.identities.staff_by_platform(CHANNEL, user_id)
    if who is None:
        return None
    role, person_id = who
    if role == Role.TECHNICIAN:
        return uow.session.get(TechnicianRow, person_id)
    return uow.session.get(StaffRow, person_id)
