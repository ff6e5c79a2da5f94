"""The outbound half: every notice and reply is a proactive `aibot_send_msg` over the connection.

Addresses (the outbox `address`, the identities' `external_id`):
- `<userid>`: a member's single chat with the bot (their WeCom userid, as in the roster);
- `group:<chatid>`: a group chat the bot is in (chatid from the group's message callbacks).

Messages with buttons become template cards in single chats (`cards`); in groups, and when a
card would cut the text, the choices are written out as replies to type (the bot hears a group
only when @-mentioned). Files go up in chunks first (`aibot_upload_media_*`), then as a message.
Only the process holding the connection can send: elsewhere the row waits a few seconds
(pacing, no failed attempt) and the holder's next delivery run sends it.
"""
from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.channels.wecom_bot import cards
from bot.channels.wecom_bot.client import ApiError, BotClient
from scheduler.attachments import Attachment
from scheduler.outbound import DeliveryError, Outgoing

log = logging.getLogger("baoxiu.wecom_bot")
CHANNEL = "wecom_bot"
GROUP = "group:"
CHOOSE = "详情见上一条消息，请选择："
MENTION = "@机器人"
PACING = timedelta(seconds=60)
ELSEWHERE = timedelta(seconds=5)
CHUNK = 512 * 1024
MAX_BYTES = 20480            # markdown.content


def group_address(chatid: str) -> str:
    return GROUP + chatid


def parse(address: str) -> tuple[str, bool]:
    """(chatid, is a group)."""
    if address.startswith(GROUP):
        return address[len(GROUP):], True
    return address, False


def reply_hint(commands: tuple[str, ...]) -> str:
    return "\n".join([f"请 {MENTION} 回复以下指令之一：", *(f"{MENTION} {c}" for c in commands)])


def render(message: Outgoing) -> list[dict[str, Any]]:
    """The message bodies in order: a card with its text, or the text first when the card
    would cut it (the card then only names the choice), or the text with the replies to type."""
    chatid, group = parse(message.to)
    if group or not cards.usable(message.buttons):
        return [_markdown(message)]
    if cards.fits(message.text):
        return [_card(message.text, message)]
    title = cards.split(message.text)[0]
    return [_markdown(replace(message, buttons=())), _card(f"{title}\n{CHOOSE}", message)]


def _card(text: str, message: Outgoing) -> dict[str, Any]:
    return {"msgtype": "template_card", "template_card": cards.card(text, message.buttons, message.key)}


def _markdown(message: Outgoing) -> dict[str, Any]:
    _, group = parse(message.to)
    text = message.text
    if message.buttons:
        text += "\n\n" + (reply_hint(message.buttons) if group else "请回复：" + " / ".join(message.buttons))
    return {"msgtype": "markdown", "markdown": {"content": _cut(text)}}


def _cut(text: str) -> str:
    data = text.encode()
    return text if len(data) <= MAX_BYTES else data[:MAX_BYTES - 3].decode(errors="ignore") + "…"


class WecomBotSender:
    name = CHANNEL

    def __init__(self, client: BotClient) -> None:
        self.client = client

    def send(self, message: Outgoing) -> None:
        try:
            self._send(message)
        except ApiError as e:
            if e.elsewhere:
                raise DeliveryError(str(e), retry_after=ELSEWHERE) from None
            card = render(message)[-1]["msgtype"] == "template_card"
            # A card's task_id makes its retry safe (WeCom refuses a second card with it).
            raise DeliveryError(str(e), retry=e.retry, retry_after=PACING if e.paced else None,
                                unsure=e.unsure and not card) from None

    def _send(self, message: Outgoing) -> None:
        chatid, group = parse(message.to)
        if message.attachment is not None:
            media_id = self._upload(message.attachment)      # the likeliest failure, before any text goes
            if message.text.strip():
                self.client.send(chatid, group, _markdown(replace(message, buttons=(), attachment=None)))
            kind = "image" if message.attachment.kind == "image" else "file"
            self.client.send(chatid, group, {"msgtype": kind, kind: {"media_id": media_id}})
            return
        for body in render(message):
            self.client.send(chatid, group, body)

    def _upload(self, attachment: Attachment) -> str:
        data = attachment.data
        chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
        conn = self.client.connection
        try:
            start = conn.request("aibot_upload_media_init", {
                "type": "image" if attachment.kind == "image" else "file", "filename": attachment.filename[:200],
                "total_size": len(data), "total_chunks": len(chunks), "md5": hashlib.md5(data).hexdigest()})
            upload_id = str((start.get("body") or {}).get("upload_id", ""))
            for index, chunk in enumerate(chunks):
                conn.request("aibot_upload_media_chunk", {"upload_id": upload_id, "chunk_index": index,
                                                          "base64_data": base64.b64encode(chunk).decode()})
            done = conn.request("aibot_upload_media_finish", {"upload_id": upload_id})
        except Exception as e:
            raise ApiError(f"wecom_bot upload: {type(e).__name__} {str(e)[:60]}",
                           elsewhere=type(e).__name__ == "NotConnected") from None
        media_id = (done.get("body") or {}).get("media_id")
        if not media_id:
            raise ApiError("wecom_bot upload: no media_id")
        return str(media_id)
