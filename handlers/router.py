"""The conversation's front door: dedup, identify, route by role, turn failures into polite replies.

One message is one transaction: the dedup row (`InboundRow`), the handler's ticket, audit and
outbox writes, and (for platforms that answer later) the replies commit together; a reply given in
the callback's own answer (WeCom's passive reply) is kept with them as said. A handling
that fails leaves no trace, so the platform's retry is handled afresh instead of dropped.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from domain.errors import Refused
from domain.model import Role, mask_phones
from domain.notices import Notice
from handlers import binding, desk_talk, owner, report, smalltalk, technician
from handlers.base import Ctx, Inbound, Reply
from handlers.identity import Unknown, Who, as_stored, identify
from handlers.ports import Desk, WithStore
from handlers.serial import SenderBusy, is_older, mark_handled, one_at_a_time
from handlers.staged import StagedStore
from storage.handoff import Handoff
from storage.kv import Keys, StoreUnavailable
from storage.outbox import Due
from storage.tables import InboundRow, MediaRow
from storage.uow import SqlUnitOfWork
from storage.upsert import insert_ignore

log = logging.getLogger("baoxiu.chat")

MAX_TEXT = 2000
# A reply is given in the callback's answer only while the platform still waits for it (WeCom: 5 s).
ANSWER_WITHIN = timedelta(seconds=3)
SORRY = "抱歉，系统开小差了，请稍后再试。如情况紧急请直接致电客服。"
SEEN_TTL = timedelta(days=1)
Handler = Callable[[Ctx, SqlUnitOfWork], None]


def _courtesy_first(handler: Handler) -> Handler:
    """你好 / 在吗 / 谢谢 get a courteous answer before the role's commands, unless a form or a
    verification waits for an answer (the report dialog then asks its question again)."""
    def run(ctx: Ctx, uow: SqlUnitOfWork) -> None:
        media = ctx.inbound.media or ctx.inbound.place is not None
        polite = None if media else smalltalk.answer(ctx.actor.role, ctx.inbound.text)
        if polite and report.load(ctx) is None and binding.pending(ctx) is None:
            ctx.say(polite)
        else:
            handler(ctx, uow)
    return run


ROLE_HANDLERS = {
    Role.OWNER: _courtesy_first(owner.on_message),
    Role.TECHNICIAN: _courtesy_first(technician.on_message),
    Role.DISPATCHER: _courtesy_first(desk_talk.on_message),
    Role.MANAGER: _courtesy_first(desk_talk.on_message),
    Role.ADMIN: _courtesy_first(desk_talk.on_message),
}


@dataclass(frozen=True)
class Handled:
    replies: list[Reply]
    answer: Reply | None = None   # given in the callback's own answer, not queued


def handle(desk: Desk, inbound: Inbound) -> list[Reply]:
    """One message in, the replies for the sender out (the caller delivers them). Never raises."""
    try:
        return _run(desk, inbound, to=None).replies
    except Exception:
        log.exception("message from %s:%s failed", inbound.channel, _short(inbound.sender))
        return [Reply(SORRY)]


def handle_and_queue(desk: Desk, inbound: Inbound, to: str | None = None) -> int:
    """For platforms that answer later: the replies go to the outbox; how many were queued."""
    return len(handle_into_outbox(desk, inbound, to))


def handle_answering(desk: Desk, inbound: Inbound) -> Reply | None:
    """For a platform whose callback answer can carry one reply (WeCom's self-built app): the
    sender's reply, when it is the only one and has no buttons and the platform still waits,
    comes back to be put in the answer (kept in the outbox as "answered", never sent); everything
    else is queued as `handle_into_outbox` queues it. A retried callback gets the same reply
    again: the platform retries only when it did not take the answer."""
    try:
        return _handled(desk, inbound, inbound.sender, answer=True).answer
    except _Failed:
        return None   # the apology is queued


def handle_into_outbox(desk: Desk, inbound: Inbound, to: str | None = None) -> list[Reply]:
    """The replies go to the outbox, to `to` (default: the sender), and are returned as well.

    They commit with the handling and are keyed by the platform's message id, so a retried
    callback queues nothing new. A failure a retry may cure (database or store unreachable, a
    lock timeout) is raised with nothing recorded: the callback answers non-200 and the platform
    delivers the message again. Any other failure queues an apology.
    """
    try:
        return _handled(desk, inbound, to or inbound.sender).replies
    except _Failed as failed:
        return [failed.apology]


class _Failed(Exception):
    """The handling failed for good; the apology was queued."""

    def __init__(self, apology: Reply) -> None:
        super().__init__(apology.text)
        self.apology = apology


def _handled(desk: Desk, inbound: Inbound, address: str, answer: bool = False) -> Handled:
    try:
        return _run(desk, inbound, to=address, answer=answer)
    except Exception as e:
        if transient(e):  # the type only: a driver's message may quote the SQL parameters
            log.warning("message from %s:%s not handled (%s); left for the platform's retry",
                        inbound.channel, _short(inbound.sender), type(e).__name__)
            raise
        log.exception("message from %s:%s failed", inbound.channel, _short(inbound.sender))
        sorry = Reply(SORRY)
        with desk.uow() as uow:
            uow.outbox.add(_reply_notice(inbound, address, sorry, "sorry", desk.clock()), desk.clock())
            uow.commit()
        raise _Failed(sorry) from None


def transient(e: BaseException) -> bool:
    """Errors that say nothing about the message: trying it again later may well work."""
    return isinstance(e, (OperationalError, InterfaceError, StoreUnavailable, SenderBusy)) or \
        (isinstance(e, DBAPIError) and e.connection_invalidated)


def _run(desk: Desk, inbound: Inbound, to: str | None, answer: bool = False) -> Handled:
    """`answer`: the caller can put one reply in the callback's answer, until `ANSWER_WITHIN` has passed."""
    inbound = as_stored(inbound)
    if inbound.msg_id and _seen(desk, inbound):
        return Handled([], _answered_before(desk, inbound) if answer else None)
    until = desk.clock() + ANSWER_WITHIN if answer else None
    with one_at_a_time(desk.store, inbound.channel, inbound.sender):
        return _run_alone(desk, inbound, to, until)


def _run_alone(desk: Desk, inbound: Inbound, to: str | None, answer_until: datetime | None) -> Handled:
    now = desk.clock()
    handoff = desk.handoff if to is not None else None
    staged = StagedStore(desk.store)
    _read_ahead(staged, inbound)
    with desk.uow() as uow:
        if inbound.msg_id and not _claim(uow, inbound, now):
            return Handled([], _answered(uow, inbound, now) if answer_until else None)
        if is_older(staged, inbound.channel, inbound.sender, inbound.sent_at):
            replies = [_late(desk, inbound)]   # acting on it now could undo what came after it
        else:
            replies = _converse(WithStore(desk, staged), uow, inbound, now)
            mark_handled(staged, inbound.channel, inbound.sender, inbound.sent_at, SEEN_TTL)
        answer = _answerable(uow, replies) if answer_until is not None and desk.clock() < answer_until else None
        taken = _queue(uow, inbound, to, replies, now, handoff, answer)
        uow.commit_all()
    if handoff is not None:
        handoff.hand(taken, now)
    _after_commit(desk, inbound, staged)
    return Handled(replies, answer)


def _answerable(uow: SqlUnitOfWork, replies: list[Reply]) -> Reply | None:
    """A callback's answer carries one text: a single reply without buttons, when nothing else was
    queued with it (a card, several replies, a reply with a picture after it or with notices
    released to the sender, go through the platform's API in their order)."""
    alone = len(replies) == 1 and not replies[0].buttons and uow.outbox.queued == 0
    return replies[0] if alone else None


def _answered(uow: SqlUnitOfWork, inbound: Inbound, now: datetime) -> Reply | None:
    text = uow.outbox.answered(_reply_key(inbound, "0", now))
    return None if text is None else Reply(text)


def _answered_before(desk: Desk, inbound: Inbound) -> Reply | None:
    with desk.uow(readonly=True) as uow:
        return _answered(uow, inbound, desk.clock())


def _queue(uow: SqlUnitOfWork, inbound: Inbound, to: str | None, replies: list[Reply], now: datetime,
           handoff: Handoff | None, answer: Reply | None) -> list[Due]:
    """The replies into the outbox (`answer`, given in the callback's answer, as said already);
    when this process's delivery thread sends them, written taken for it (storage.handoff), and
    what it needs of them."""
    if to is None:
        return []
    notices = [_reply_notice(inbound, to, reply, str(i), now) for i, reply in enumerate(replies)]
    if answer is not None:
        uow.outbox.add_answered(notices[0], now)
        return []
    if handoff is None:
        for notice in notices:
            uow.outbox.add(notice, now)
        return []
    taken = (uow.outbox.add_taken(notice, now, handoff.until(now)) for notice in notices)
    return [due for due in taken if due is not None]


def _read_ahead(staged: StagedStore, inbound: Inbound) -> None:
    """What every message of this sender reads (when it was last heard, its report draft, a
    verification), in one round trip; the sender's lock is held, so no one else changes them."""
    try:
        staged.prefetch([Keys.latest(inbound.channel, inbound.sender), Keys.dialog(inbound.channel, inbound.sender),
                         Keys.binding(inbound.channel, inbound.sender)])
    except StoreUnavailable:
        pass   # each read then meets the outage itself, as it would have


def _converse(desk: Desk, uow: SqlUnitOfWork, inbound: Inbound, now: datetime) -> list[Reply]:
    if len(inbound.text) > MAX_TEXT:
        return [Reply(f"消息太长了（超过 {MAX_TEXT} 字），请简要描述问题，或分几条发送。")]
    try:
        who = _enter(uow, inbound, now)
    except Unknown as polite:   # nothing written but the dedup row, which stays
        return [Reply(str(polite))]
    # The handler's commits are checkpoints from here; all of it commits with the replies. A
    # refusal goes back to here, keeping the dedup row, the sighting and the released notices.
    uow.hold_commits(redo=lambda: _enter_again(uow, inbound, now))
    ctx = Ctx(desk, now, inbound, who.actor, who.phone)
    try:
        ROLE_HANDLERS[who.actor.role](ctx, uow)
    except (Refused, Unknown) as polite:
        uow.rollback()  # back to the handler's last commit; the refusal is the reply
        return [Reply(str(polite))]
    # Replies echo typed text (reasons, notes); a full mobile number never goes back out.
    return [Reply(mask_phones(r.text), r.buttons) for r in ctx.replies]


def _enter(uow: SqlUnitOfWork, inbound: Inbound, now: datetime) -> Who:
    """What every message writes before its handler: the sender's sighting, the notices kept for
    them released, a photo's row."""
    who = identify(uow, inbound, now)
    uow.outbox.release_held(who.actor.role, who.actor.id, now, inbound.channel, inbound.sender)
    if inbound.media and inbound.channel != "console":
        uow.session.add(MediaRow(channel=inbound.channel, ref=inbound.media, created_at=now))
    return who


def _enter_again(uow: SqlUnitOfWork, inbound: Inbound, now: datetime) -> None:
    """A refusal undid the whole transaction: the dedup row and what `_enter` wrote, once more."""
    if inbound.msg_id and not _claim(uow, inbound, now):
        # Only another handling of this very message can have claimed it meanwhile (the sender's
        # lock keeps them apart unless the store is down): that one answers, the platform retries this.
        raise SenderBusy(f"{inbound.channel}:{inbound.msg_id}")
    _enter(uow, inbound, now)


def _late(desk: Desk, inbound: Inbound) -> Reply:
    assert inbound.sent_at is not None
    at = inbound.sent_at.astimezone(desk.rules.tz).strftime("%H:%M")
    said = f"「{mask_phones(inbound.text)[:20]}」" if inbound.text else "（图片或位置）"
    return Reply(f"您 {at} 发送的一条消息{said}刚刚才送达，您之后的消息已经处理，这条未再执行。"
                 "如仍需要，请重新发送。")


def _reply_notice(inbound: Inbound, to: str, reply: Reply, index: str, now: datetime) -> Notice:
    return Notice("reply", "", "reply", reply.text, _reply_key(inbound, index, now),
                  buttons=reply.buttons, channel=inbound.channel, address=to)


def _reply_key(inbound: Inbound, index: str, now: datetime) -> str:
    return f"reply:{inbound.channel}:{inbound.msg_id or now.isoformat()}:{index}"


def _claim(uow: SqlUnitOfWork, inbound: Inbound, now: datetime) -> bool:
    """The dedup row, in the message's own transaction: a concurrent twin waits on it, then yields.
    One statement that raises nothing (no savepoint to roll back to)."""
    return insert_ignore(uow.session, InboundRow, {"channel": inbound.channel, "msg_id": inbound.msg_id,
                                                   "received_at": now}, keys=["channel", "msg_id"])


def _seen(desk: Desk, inbound: Inbound) -> bool:
    """The fast path for retries: the store remembers messages handled; the row is the authority."""
    try:
        return desk.store.get(Keys.inbound(inbound.channel, inbound.msg_id or "")) is not None
    except StoreUnavailable:
        log.warning("key-value store unavailable; dedup by database only")
        return False


def _after_commit(desk: Desk, inbound: Inbound, staged: StagedStore) -> None:
    """The dialog state, and the fast-path dedup mark; the database row already stops a retry."""
    try:
        if inbound.msg_id:
            staged.set(Keys.inbound(inbound.channel, inbound.msg_id), "1", ttl=SEEN_TTL)
        staged.apply()
    except StoreUnavailable:
        log.warning("key-value store unavailable; the dialog of %s:%s may restart", inbound.channel,
                    _short(inbound.sender))


def _short(sender: str) -> str:
    """Logs never carry a full phone number."""
    head, _, tail = sender.rpartition(":")
    return f"{head}:{tail[:3]}***" if tail.isdigit() and len(tail) >= 7 else sender
