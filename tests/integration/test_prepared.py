"""Statements run on the driver's cursor (storage/prepared.py) store and read exactly what SQLAlchemy's
own execution does, on SQLite and PostgreSQL, and fall back to it where they must."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.exc import IntegrityError

from bot.bootstrap import Desk
from domain.notices import Notice
from storage.prepared import Prepared
from storage.tables import InboundRow, OutboxRow
from tests.conftest import FakeClock


def _reply(key: str) -> Notice:
    return Notice("reply", "", "reply", "已收到，师傅电话 13912345678", key, buttons=("确认", "修改"),
                  channel="wecom", address="owner-1")


def test_a_reply_queued_on_the_cursor_is_the_row_sqlalchemy_would_have_written(desk: Desk, clock: FakeClock) -> None:
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    with desk.uow() as uow:
        uow.outbox.add(_reply("reply:fast"), clock())
        event.listen(desk.engine, "before_cursor_execute", note)
        try:   # someone watching the statements: this one goes through SQLAlchemy, and they see it
            uow.outbox.add(_reply("reply:watched"), clock())
        finally:
            event.remove(desk.engine, "before_cursor_execute", note)
        uow.commit()
    assert any("INSERT INTO outbox" in sql for sql in seen)
    with desk.uow() as uow:
        fast, watched = (uow.session.scalars(select(OutboxRow).where(OutboxRow.key == k)).one()
                         for k in ("reply:fast", "reply:watched"))
        assert _fields(fast) == _fields(watched)
        assert fast.text == "已收到，师傅电话 139****5678" and fast.buttons == ["确认", "修改"]
        assert fast.due_at == clock() and fast.status == "pending" and fast.last_error == ""


def test_columns_read_on_the_cursor_come_back_as_sqlalchemy_reads_them(desk: Desk, clock: FakeClock) -> None:
    columns = ("text", "buttons", "due_at", "attempts")
    read = Prepared(select(*(getattr(OutboxRow, c) for c in columns)).where(OutboxRow.key == bindparam("k")))
    with desk.uow() as uow:
        uow.outbox.add(_reply("reply:read"), clock())
        uow.commit()
        row = read.first(uow.session, {"k": "reply:read"})
        assert row == ("已收到，师傅电话 139****5678", ["确认", "修改"], clock(), 0)
        assert read.all(uow.session, {"k": "reply:none"}) == []


def test_a_statement_that_needs_sqlalchemy_at_execution_still_runs(desk: Desk, clock: FakeClock) -> None:
    listed = Prepared(select(InboundRow.msg_id).where(InboundRow.msg_id.in_(bindparam("ids", expanding=True)))
                      .order_by(InboundRow.msg_id))
    with desk.uow() as uow:
        for msg in ("m1", "m2", "m3"):
            uow.session.add(InboundRow(channel="wecom", msg_id=msg, received_at=clock()))
        uow.session.flush()
        assert listed.first(uow.session, {"ids": ["m3", "m2"]}) == ("m2",)


def test_a_driver_error_is_raised_as_sqlalchemy_names_it(desk: Desk, clock: FakeClock) -> None:
    plain = Prepared(insert(InboundRow))
    later = clock() + timedelta(minutes=1)
    with desk.uow() as uow:
        assert plain.rowcount(uow.session, {"channel": "wecom", "msg_id": "x", "received_at": clock()}) == 1
        with pytest.raises(IntegrityError):
            plain.rowcount(uow.session, {"channel": "wecom", "msg_id": "x", "received_at": later})


def _msg_ids(desk: Desk) -> list[str]:
    with desk.uow(readonly=True) as uow:
        return list(uow.session.scalars(select(InboundRow.msg_id).order_by(InboundRow.msg_id)))


def test_the_session_joins_the_transaction_its_statements_began(desk: Desk, clock: FakeClock) -> None:
    """A message's own statements begin the transaction on the unit of work's connection; ORM work
    after them is in the same transaction: committed with them, rolled back with them."""
    plain = Prepared(insert(InboundRow))
    for msg, keep in (("kept", True), ("undone", False)):
        with desk.uow() as uow:
            plain.rowcount(uow.session, {"channel": "wecom", "msg_id": f"{msg}-1", "received_at": clock()})
            uow.session.add(InboundRow(channel="wecom", msg_id=f"{msg}-2", received_at=clock()))
            if keep:
                uow.commit()
            else:
                uow.rollback()
    with desk.uow() as uow:   # held: a refusal goes back to the last checkpoint, which stays
        uow.hold_commits()
        plain.rowcount(uow.session, {"channel": "wecom", "msg_id": "held-1", "received_at": clock()})
        uow.commit()
        uow.session.add(InboundRow(channel="wecom", msg_id="held-2", received_at=clock()))
        uow.rollback()
        uow.commit_all()
    assert _msg_ids(desk) == ["held-1", "kept-1", "kept-2"]


def _fields(row: OutboxRow) -> dict[str, Any]:
    return {c: getattr(row, c) for c in ("role", "person_id", "channel", "address", "kind", "text", "buttons",
                                          "attachment", "due_at", "created_at", "status", "attempts", "last_error")}
