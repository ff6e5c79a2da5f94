"""Frames in: message callbacks → Inbound → the handlers → replies queued; card clicks likewise.

Each message is handled and its replies queued in one transaction (`handle_into_outbox`), keyed
by the callback's `msgid`: a frame WeCom delivers again (after a reconnect, to this process or
another) is a repeat and queues nothing. A group message's text starts with the @-mention of the
bot, which is not part of the command. Pictures, files and videos are not taken over this
channel yet (their links need decrypting); the sender is told to write instead.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from bot.bootstrap import Desk
from bot.channels.wecom_bot import cards
from bot.channels.wecom_bot.client import ApiError, BotClient
from bot.channels.wecom_bot.send import CHANNEL, group_address
from domain.notices import Notice
from handlers.base import Inbound
from handlers.router import handle_into_outbox

log = logging.getLogger("baoxiu.wecom_bot")
MENTIONS = re.compile(r"^(?:@\S+\s+)+")
NOT_TEXT = "暂时只能看懂文字，请用文字描述（图片请通过企业微信应用或钉钉发送）。"


@dataclass(frozen=True)
class Message:
    msg_id: str
    sender: str          # from.userid: how staff and technicians are recognised
    chat: str            # where replies go: the sender, or group:<chatid>
    text: str


def parse(frame: dict[str, Any]) -> Message | None:
    """The message, or None when the frame is not one a person wrote."""
    body = frame.get("body")
    if not isinstance(body, dict):
        return None
    msg_id, sender = body.get("msgid"), (body.get("from") or {}).get("userid")
    if not isinstance(msg_id, str) or not msg_id or not isinstance(sender, str) or not sender:
        return None
    chatid = body.get("chatid")
    group = body.get("chattype") == "group" and isinstance(chatid, str) and bool(chatid)
    chat = group_address(str(chatid)) if group else sender[:64]
    return Message(msg_id[:100], sender[:64], chat, _text(body))


def _text(body: dict[str, Any]) -> str:
    kind = body.get("msgtype")
    if kind in ("text", "voice"):                       # voice arrives already as text
        content = (body.get(kind) or {}).get("content")
        return MENTIONS.sub("", content.strip())[:4000] if isinstance(content, str) else ""
    if kind == "mixed":
        items = (body.get("mixed") or {}).get("msg_item") or []
        parts = [(i.get("text") or {}).get("content", "") for i in items
                 if isinstance(i, dict) and i.get("msgtype") == "text"]
        return MENTIONS.sub("", "".join(p for p in parts if isinstance(p, str)).strip())[:4000]
    return ""


def receive(desk: Desk, message: Message) -> None:
    """Raises what `handle_into_outbox` raises (a transient failure), nothing recorded."""
    if not message.text:
        _hint(desk, message)
        return
    handle_into_outbox(desk, Inbound(CHANNEL, message.sender, message.text, message.msg_id), to=message.chat)


def _hint(desk: Desk, message: Message) -> None:
    """A picture or file: one reply saying what works instead (keyed by msgid, so said once)."""
    with desk.uow() as uow:
        uow.outbox.add(Notice("reply", "", "reply", NOT_TEXT, f"reply:{CHANNEL}:{message.msg_id}:hint",
                              channel=CHANNEL, address=message.chat), desk.clock())
        uow.commit()


def on_click(desk: Desk, client: BotClient, click: cards.Click) -> None:
    """Run the clicked command, then answer the click with the updated card (once)."""
    inbound = Inbound(CHANNEL, click.user, click.command, msg_id=f"card:{click.msg_id}")
    replies = handle_into_outbox(desk, inbound, to=click.user)
    if not replies:
        return   # a repeat of a click already handled (and answered)
    try:
        client.update_card(click.req_id, cards.answered(click, replies[0].text))
    except ApiError as e:
        log.warning("WeCom AI bot: card not updated (%s)", e)
