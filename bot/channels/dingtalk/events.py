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
from domain.staffing import release_jobs
from storage.tables import StaffRow, TechnicianRow
from storage.uow import SqlUnitOfWork

log = logging.getLogger("baoxiu.dingtalk")
CHANNEL = "dingtalk"
# Seeded identities were never seen: any real sighting on any channel is newer.
NEVER = datetime(2000, 1, 1, tzinfo=timezone.utc)


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
