"""Robot messages and card clicks in: DingTalk's body → Inbound → the handlers → replies queued.

The same functions serve the HTTP callback and the Stream connection. Replies go back to the
chat the message came from: the person's single chat, or the group (`group:<conversationId>`).
Each part is handled and its replies queued in one transaction (`handle_into_outbox`): a
failure a retry may cure is raised with nothing recorded, for the caller to have it retried.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select

from bot.bootstrap import Desk
from bot.channels.dingtalk.cards import CardBook
from bot.channels.dingtalk.send import group_address, proxy_address
from bot.channels.dingtalk.state import remember_webhook
from domain.model import Role
from domain.ticket import State
from handlers.base import Inbound
from handlers.router import handle_into_outbox
from scheduler.outbound import DeliverNow
from storage.tables import TicketEventRow, TicketRow

log = logging.getLogger("baoxiu.dingtalk")
CHANNEL = "dingtalk"


class Malformed(ValueError):
    """A body that is not a robot message DingTalk would send: answer 400."""


@dataclass(frozen=True)
class RobotMessage:
    msg_id: str
    sender: str                     # senderStaffId: how staff and technicians are recognised
    chat: str                       # where replies go: the sender, or group:<conversationId>
    group: str                      # the conversationId of a group chat, "" in a single chat
    text: str
    pictures: tuple[str, ...]       # downloadCodes
    webhook: str
    webhook_expires_ms: int
    sent_at: datetime | None = None   # createAt: orders a redelivered message against newer ones

    def inbounds(self) -> list[Inbound]:
        """Text first, then each picture; every part keeps its own id for dedup."""
        parts: list[tuple[str, str | None]] = []
        if self.text or not self.pictures:
            parts.append((self.text, None))
        parts += [("", code) for code in self.pictures]
        return [Inbound(CHANNEL, self.sender, text, self.msg_id if i == 0 else f"{self.msg_id}#{i}", media,
                        sent_at=self.sent_at)
                for i, (text, media) in enumerate(parts)]


def parse(body: object) -> RobotMessage | None:
    """The message, or None for a message type we do not handle; Malformed for a bad body."""
    if not isinstance(body, dict):
        raise Malformed("not an object")
    kind = _text(body, "msgtype", 32)
    group = _text(body, "conversationId", 128) if _text(body, "conversationType", 4) == "2" else ""
    sender = _text(body, "senderStaffId", 64, optional=True) or _text(body, "senderId", 64)
    webhook = _text(body, "sessionWebhook", 1024, optional=True)
    expires = body.get("sessionWebhookExpiredTime", 0)
    if not isinstance(expires, int) or isinstance(expires, bool):
        raise Malformed("sessionWebhookExpiredTime")
    content = _content(body, kind)
    if content is None:
        return None
    text, pictures = content
    return RobotMessage(_text(body, "msgId", 100), sender, group_address(group) if group else sender,
                        group, text.strip(), pictures, webhook, expires, _created(body))


def _content(body: dict[str, Any], kind: str) -> tuple[str, tuple[str, ...]] | None:
    if kind == "text":
        return _text(_object(body, "text"), "content", 4000, optional=True), ()
    if kind == "picture":
        return "", (_text(_object(body, "content"), "downloadCode", 512),)
    if kind == "richText":
        items = _object(body, "content").get("richText")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise Malformed("content.richText")
        texts = [_text(i, "text", 4000) for i in items if "text" in i]
        return "".join(texts), tuple(_text(i, "downloadCode", 512) for i in items if "downloadCode" in i)
    return None


def _created(body: dict[str, Any]) -> datetime | None:
    """createAt (ms epoch); a missing or unreadable one orders nothing rather than refusing the message."""
    value = body.get("createAt")
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def _object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if not isinstance(value, dict):
        raise Malformed(name)
    return value


def _text(body: dict[str, Any], name: str, limit: int, optional: bool = False) -> str:
    value = body.get(name, "" if optional else None)
    if not isinstance(value, str) or len(value) > limit or (not value and not optional):
        raise Malformed(name)
    return value


# --- handling ----------------------------------------------------------------------------


def receive(desk: Desk, message: RobotMessage) -> None:
    """Handle one robot message; its replies wait in the outbox for delivery.

    Raises what `handle_into_outbox` raises (a transient failure): parts already handled stay
    handled, and the platform's retry handles the rest (the done parts are dropped as repeats).
    """
    if message.webhook:
        remember_webhook(desk, message.chat, message.webhook, message.webhook_expires_ms)
    mark = _last_event_id(desk) if message.group else 0
    for inbound in message.inbounds():
        handle_into_outbox(desk, inbound, to=message.chat)
    if message.group:
        _group_follows_callers(desk, message, mark)


def on_card_click(desk: Desk, cards: CardBook, data: dict[str, Any]) -> None:
    click = cards.click(data)
    if click is None:
        log.info("card callback ignored: unknown card or button")
        return
    key = hashlib.sha256(f"{click.out_track_id}|{click.user_id}|{click.command}".encode()).hexdigest()[:40]
    inbound = Inbound(CHANNEL, click.user_id, click.command, msg_id=f"card:{key}")
    before = _state(desk, click.ticket)
    replies = handle_into_outbox(desk, inbound, to=click.reply_to)
    # A group card stays live for the others until the click really moved the ticket.
    if replies and (not click.reply_to.startswith("group:") or _state(desk, click.ticket) != before):
        cards.close(click.out_track_id, replies[0].text)


def deliver_quietly(deliver_now: DeliverNow) -> None:
    """The callback's replies go out at once; whatever fails here the scheduler retries."""
    try:
        deliver_now()
    except Exception:
        log.exception("immediate DingTalk delivery failed; the scheduler will retry")


def _group_follows_callers(desk: Desk, message: RobotMessage, mark: int) -> None:
    """A caller whose fault the desk filed from a group hears nothing on DingTalk: the group does.

    The group becomes that owner's address until the owner writes to the robot themselves.
    """
    with desk.uow() as uow:
        staff = uow.identities.staff_by_platform(CHANNEL, message.sender)
        if staff is None or staff[0] == Role.TECHNICIAN:
            return
        stmt = (select(TicketRow.customer_id).join(TicketEventRow, TicketEventRow.ticket_id == TicketRow.id)
                .where(TicketEventRow.id > mark, TicketEventRow.action == "open",
                       TicketEventRow.actor == f"{staff[0]}:{staff[1]}"))
        for customer_id in set(uow.session.scalars(stmt)):
            if uow.identities.latest(Role.OWNER, str(customer_id)) is None:
                uow.identities.touch(CHANNEL, proxy_address(message.group, f"owner-{customer_id}"),
                                     Role.OWNER, str(customer_id), desk.clock())
        uow.commit()


def _last_event_id(desk: Desk) -> int:
    with desk.uow() as uow:
        return int(uow.session.scalar(select(func.max(TicketEventRow.id))) or 0)


def _state(desk: Desk, number: str) -> State | None:
    if not number:
        return None
    with desk.uow() as uow:
        ticket = uow.tickets.get(number)
        return ticket.state if ticket else None
