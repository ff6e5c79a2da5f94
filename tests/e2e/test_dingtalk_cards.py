"""DingTalk interactive cards: kept across restarts, delivered once, closed when the job moves on."""
from __future__ import annotations

from sqlalchemy import select

from bot.bootstrap import Desk, bootstrap
from bot.wiring import wire
from domain.ticket import State
from scheduler.jobs import tick
from storage.kv import KeyValueStore, StoreUnavailable
from storage.kv_memory import MemoryStore
from storage.tables import OutboxRow
from tests.conftest import FakeClock
from tests.e2e.test_dingtalk_http import fake, ticket_row, userid_of  # noqa: F401  (fixture)
from tests.e2e.test_dingtalk_stream import CARD, file_for_a_caller, push, say, start
from tests.fakes.dingtalk import FakeDingtalk

CREATE = "/v1.0/card/instances/createAndDeliver"


def card_of(fake: FakeDingtalk, chat: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    (found,) = [(k, c) for k, c in fake.cards.items() if c["chat"] == chat]
    return found


def outbox(desk: Desk) -> list[tuple[str, str, int]]:
    with desk.uow() as uow:
        return [(r.kind, r.status, r.attempts) for r in uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id))]


def test_a_click_after_a_restart_with_a_fresh_store_is_honoured(
        desk: Desk, fake: FakeDingtalk, clock: FakeClock) -> None:
    for runner in start(desk, fake, cards=True):
        number = file_for_a_caller(fake, runner, desk)
    tech = userid_of(desk, ticket_row(desk).assignee_id or "")
    out_track_id, card = card_of(fake, tech)

    restarted = bootstrap(desk.settings, clock=clock, store=MemoryStore(), engine=desk.engine)
    for runner in start(restarted, fake, cards=True):   # the in-process store is gone
        push(fake, runner, CARD, fake.card_click(out_track_id, tech, f"接单 {number}"))
    assert ticket_row(desk).state is State.ACCEPTED
    assert card["params"]["buttons"] == "[]" and card["params"]["status"].startswith(f"已接单 {number}")


def test_a_card_whose_answer_was_lost_is_not_sent_twice_and_its_offer_lives(
        desk: Desk, fake: FakeDingtalk, clock: FakeClock) -> None:
    fake.lose_answer.add(CREATE)                         # DingTalk delivers the card, we never hear so
    for runner in start(desk, fake, cards=True):
        number = file_for_a_caller(fake, runner, desk)
        tech = userid_of(desk, ticket_row(desk).assignee_id or "")
        clock.advance(minutes=1)
        tick(desk, wire(desk).outlets, clock())
        out_track_id, _ = card_of(fake, tech)           # exactly one card for the technician
        assert [s for s in fake.to(tech) if s.via == "card"] and len(fake.to(tech)) == 1
        assert all(status == "sent" for _, status, _ in outbox(desk))
        push(fake, runner, CARD, fake.card_click(out_track_id, tech, f"接单 {number}"))
    assert ticket_row(desk).state is State.ACCEPTED


class _ChannelStoreDown:
    """The key-value store failing for everything the DingTalk channel keeps there (tokens,
    webhooks); the chat dialogs, kept under other keys, still work."""

    def __init__(self, store: KeyValueStore) -> None:
        self.store = store

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        real = getattr(self.store, name)

        def call(*args: object, **kwargs: object) -> object:
            if args and str(args[0]).startswith("token"):      # Keys.token: the channel's own keys
                raise StoreUnavailable("down")
            return real(*args, **kwargs)
        return call


def test_with_the_channel_store_down_cards_still_go_out_and_no_notice_stays_claimed(
        desk: Desk, fake: FakeDingtalk, clock: FakeClock) -> None:
    for runner in start(desk, fake, cards=True):
        desk.store = _ChannelStoreDown(desk.store)  # type: ignore[assignment]
        number = file_for_a_caller(fake, runner, desk)
        tech = userid_of(desk, ticket_row(desk).assignee_id or "")
        out_track_id, _ = card_of(fake, tech)
        assert not [row for row in outbox(desk) if row[1] == "sending"]
        push(fake, runner, CARD, fake.card_click(out_track_id, tech, f"接单 {number}"))
    assert ticket_row(desk).state is State.ACCEPTED


def test_a_reassigned_technician_sees_the_card_closed(desk: Desk, fake: FakeDingtalk, clock: FakeClock) -> None:
    for runner in start(desk, fake, cards=True):
        number = file_for_a_caller(fake, runner, desk)
        first_id = ticket_row(desk).assignee_id or ""
        _, card = card_of(fake, userid_of(desk, first_id))
        other = "T01" if first_id != "T01" else "T02"
        say(fake, runner, f"改派 {number} 给 {other}")       # the dispatcher, in the group
    assert ticket_row(desk).assignee_id == other
    assert card["params"]["buttons"] == "[]" and "已改派" in card["params"]["status"]
    assert card_of(fake, userid_of(desk, other))[1]["params"]["status"] == ""


def test_a_cancelled_job_closes_the_card_its_technician_holds(
        desk: Desk, fake: FakeDingtalk, clock: FakeClock) -> None:
    owner = "owner0001"
    for runner in start(desk, fake, cards=True):
        for text in ("厨房水龙头漏水了，翠湖花园3栋2单元501", "13800138000"):
            say(fake, runner, text, sender=owner, group=None)
        out_track_id, _ = card_of(fake, owner)
        push(fake, runner, CARD, fake.card_click(out_track_id, owner, "确认"))
        number = ticket_row(desk).number
        _, card = card_of(fake, userid_of(desk, ticket_row(desk).assignee_id or ""))
        say(fake, runner, f"取消 {number}", sender=owner, group=None)
    assert ticket_row(desk).state is State.CANCELLED
    assert card["params"]["buttons"] == "[]" and card["params"]["status"].startswith("已取消：")
