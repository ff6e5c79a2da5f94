"""Template cards (模板卡片) for messages with buttons, and what a click on one means.

A `button_interaction` card carries each button's command as its `key` and a `task_id` derived
from the notice key (a retry reuses it). A click comes back as an `aibot_event_callback` whose
`event.template_card_event` holds `event_key` (the command) and `task_id`; the clicker is
`from.userid`. The command then runs as if the person had typed it: the handlers check who may
do what, so a card needs no record of its own. Within 5 seconds of the click the card is
updated once (`aibot_respond_update_msg` with the click's req_id): the buttons give way to a
single inert one naming what happened.

WeCom shows template cards sent with `aibot_send_msg` only in single chats; groups get the text
with the replies to type (`send.reply_hint`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from domain.notices import button_label

MAX_BUTTONS = 6
TITLE, SUBTITLE = 26, 112        # characters WeCom shows of main_title.title and sub_title_text
DONE_KEY = "done"                # the inert button of an answered card


@dataclass(frozen=True)
class Click:
    req_id: str          # the event's req_id: the card update must carry it
    msg_id: str          # the event's msgid: a redelivered click is handled once
    user: str
    command: str
    task_id: str


def task_id(key: str) -> str:
    """Letters, digits and _-@ only, at most 128 bytes, unique per bot."""
    return "bx" + hashlib.sha256(key.encode()).hexdigest()[:40]


def usable(buttons: tuple[str, ...]) -> bool:
    return 0 < len(buttons) <= MAX_BUTTONS and all(len(b.encode()) <= 1024 for b in buttons)


def fits(text: str) -> bool:
    """The whole text shows on the card; else it goes first as a message of its own."""
    title, rest = split(text)
    return len(title) <= TITLE and len(rest) <= SUBTITLE


def split(text: str) -> tuple[str, str]:
    lines = text.strip().splitlines() or ["报修通知"]
    return lines[0], "\n".join(lines[1:]).strip()


def card(text: str, buttons: tuple[str, ...], key: str) -> dict[str, Any]:
    title, rest = split(text)
    body: dict[str, Any] = {
        "card_type": "button_interaction", "main_title": {"title": title[:TITLE]}, "task_id": task_id(key),
        "button_list": [{"text": button_label(b), "style": 1, "key": b} for b in buttons]}
    if rest:
        body["sub_title_text"] = rest[:SUBTITLE]
    return body


def answered(click: Click, status: str) -> dict[str, Any]:
    """The clicked card once it is answered: the outcome, and one button that does nothing."""
    title, rest = split(status)
    body: dict[str, Any] = {
        "card_type": "button_interaction", "main_title": {"title": title[:TITLE]}, "task_id": click.task_id,
        "button_list": [{"text": f"已{button_label(click.command)}"[:10], "style": 2, "key": DONE_KEY}]}
    if rest:
        body["sub_title_text"] = rest[:SUBTITLE]
    return body


def click(frame: dict[str, Any]) -> Click | None:
    """A template card click naming a command, else None (the inert button, a malformed event)."""
    body = frame.get("body") or {}
    event = body.get("event") or {}
    inner = event.get("template_card_event") if isinstance(event, dict) else None
    if not isinstance(inner, dict):
        return None
    command, task = inner.get("event_key"), inner.get("task_id")
    user = (body.get("from") or {}).get("userid")
    req_id = (frame.get("headers") or {}).get("req_id")
    msg_id = body.get("msgid")
    if not all(isinstance(v, str) and v for v in (command, task, user, req_id, msg_id)):
        return None
    assert isinstance(command, str)
    if command == DONE_KEY or not command.strip() or len(command) > 1024:
        return None
    return Click(str(req_id), str(msg_id)[:100], str(user)[:64], command.strip(), str(task)[:128])
