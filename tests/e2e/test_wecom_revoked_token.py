"""A token the platform revokes before its stated expiry: dropped, fetched again once, the send
made again at once; a second refusal waits for the outbox's backoff (issue 12, 5)."""
from __future__ import annotations

from sqlalchemy import select

from bot.bootstrap import Desk
from scheduler.jobs import tick
from storage.kv import Keys
from storage.tables import OutboxRow
from tests.conftest import FakeClock
from tests.e2e.test_wecom_app import TECH, notify, texts_to
from tests.fakes.wecom import Callbacks, FakeWecom, fake, wecom  # noqa: F401  (fixtures)
from tests.fakes.wecom_api import CORP_ID


def reply_row(desk: Desk) -> OutboxRow:
    with desk.uow() as uow:
        row = uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id.desc())).first()
        assert row is not None
        uow.session.expunge(row)
        return row


def test_a_revoked_wecom_token_is_fetched_again_and_the_notice_goes_at_once(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock) -> None:
    notify(desk, clock, "T01", "第一条通知", "revoked-1")
    tick(desk, wecom.outlets, clock())
    calls = fake.gettoken_calls
    fake.revoke_tokens()                               # 40014, two hours early
    notify(desk, clock, "T01", "第二条通知", "revoked-2")
    tick(desk, wecom.outlets, clock())
    assert fake.gettoken_calls == calls + 1 and texts_to(fake, TECH) == ["第一条通知", "第二条通知"]
    row = reply_row(desk)
    assert row.status == "sent" and row.attempts == 1   # the first try


def test_a_revoked_wecom_token_is_dropped_even_when_the_new_one_cannot_be_fetched_yet(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock) -> None:
    notify(desk, clock, "T01", "第一条通知", "revoked-1")
    tick(desk, wecom.outlets, clock())
    key = Keys.token("wecom", f"{CORP_ID}-app")
    assert desk.store.get(key) is not None
    fake.revoke_tokens()
    fake.fail("/cgi-bin/gettoken", "network")
    notify(desk, clock, "T01", "第二条通知", "revoked-2")
    tick(desk, wecom.outlets, clock())
    assert desk.store.get(key) is None                        # no process sends with it again
    row = reply_row(desk)
    assert row.status == "pending" and row.attempts == 1      # the normal backoff
    clock.advance(seconds=31)
    tick(desk, wecom.outlets, clock())
    assert texts_to(fake, TECH) == ["第一条通知", "第二条通知"] and reply_row(desk).status == "sent"
