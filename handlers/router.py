"""The conversation's front door: dedup, identify, route by role, turn failures into polite replies."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from bot.bootstrap import Desk
from domain.model import Role, mask_phones
from domain.services import Refused
from handlers import desk as desk_handlers
from handlers import owner, technician
from handlers.base import Ctx, Inbound, Reply
from handlers.identity import Unknown, identify
from storage.kv import Keys, StoreUnavailable
from domain.notices import Notice
from scheduler.delivery import release_held
from storage.tables import InboundRow, MediaRow

log = logging.getLogger("baoxiu.chat")

MAX_TEXT = 2000
SORRY = "抱歉，系统开小差了，请稍后再试。如情况紧急请直接致电客服。"
ROLE_HANDLERS = {
    Role.OWNER: owner.on_message,
    Role.TECHNICIAN: technician.on_message,
    Role.DISPATCHER: desk_handlers.on_message,
    Role.MANAGER: desk_handlers.on_message,
    Role.ADMIN: desk_handlers.on_message,
}


def handle(desk: Desk, inbound: Inbound) -> list[Reply]:
    """One message in, the replies for the sender out. Never raises."""
    if len(inbound.text) > MAX_TEXT:
        return [Reply(f"消息太长了（超过 {MAX_TEXT} 字），请简要描述问题，或分几条发送。")]
    now = desk.clock()
    try:
        if inbound.msg_id and not _first_time(desk, inbound):
            return []
        with desk.uow() as uow:
            who = identify(uow, inbound, now)
            if who.actor.id:
                release_held(uow.session, who.actor.role, who.actor.id, now)
            if inbound.media and inbound.channel != "console":
                uow.session.add(MediaRow(channel=inbound.channel, ref=inbound.media, created_at=now))
            uow.commit()
            ctx = Ctx(desk, now, inbound, who.actor, who.phone)
            ROLE_HANDLERS[who.actor.role](ctx, uow)
            # Replies echo typed text (reasons, notes); a full mobile number never goes back out.
            return [Reply(mask_phones(r.text), r.buttons) for r in ctx.replies]
    except (Refused, Unknown) as polite:
        return [Reply(str(polite))]
    except Exception:
        log.exception("message from %s:%s failed", inbound.channel, _short(inbound.sender))
        return [Reply(SORRY)]


def handle_and_queue(desk: Desk, inbound: Inbound) -> int:
    """For platforms that answer later: the replies go out through the outbox, back to this chat.

    The keys derive from the platform's message id, so a retried callback queues nothing new.
    """
    replies = handle(desk, inbound)
    if not replies:
        return 0
    stamp = inbound.msg_id or desk.clock().isoformat()
    with desk.uow() as uow:
        for i, reply in enumerate(replies):
            uow.outbox.add(Notice("reply", "", "reply", reply.text, f"reply:{inbound.channel}:{stamp}:{i}",
                                  buttons=reply.buttons, channel=inbound.channel, address=inbound.sender),
                           desk.clock())
        uow.commit()
    return len(replies)


def _first_time(desk: Desk, inbound: Inbound) -> bool:
    """A platform retry of a message already handled is dropped; the row makes it durable."""
    key = Keys.inbound(inbound.channel, inbound.msg_id or "")
    try:
        if not desk.store.set_if_absent(key, "1", ttl=timedelta(days=1)):
            return False
    except StoreUnavailable:
        log.warning("key-value store unavailable; dedup by database only")
    with desk.uow() as uow:
        try:
            uow.session.add(InboundRow(channel=inbound.channel, msg_id=inbound.msg_id, received_at=desk.clock()))
            uow.commit()
        except IntegrityError:
            return False
    return True


def _short(sender: str) -> str:
    """Logs never carry a full phone number."""
    head, _, tail = sender.rpartition(":")
    return f"{head}:{tail[:3]}***" if tail.isdigit() and len(tail) >= 7 else sender
