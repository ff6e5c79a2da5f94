"""Notice text → WeCom message bodies: text within byte limits, button cards, kf menus."""
from __future__ import annotations

import hashlib
import re
from typing import Any

from domain.notices import button_label
from scheduler.outbound import Outgoing

TEXT_BYTES = 2048                 # text.content and kf text.content
MENU_HEAD_BYTES = 1024            # kf msgmenu head_content
MENU_ID_BYTES = 128               # kf msgmenu click.id
MAX_BUTTONS = 6                   # template_card button_list
MAX_MENU_ITEMS = 10               # kf msgmenu click items
CUT_NOTE = "…（内容过长，已截断）"
TITLE_CHARS, DESC_CHARS, SUB_CHARS = 36, 44, 120     # suggested limits of template_card
KEYNAME_CHARS, VALUE_CHARS, BUTTON_CHARS = 5, 26, 10
FACT = re.compile(r"^(\S{1,5})[：:]\s*(.+)$")
# What a final notice does to the buttons of the offer card it is about.
FINAL_LABELS = {"offer_taken": "已被抢单", "expired": "已超时", "reassigned": "已改派", "cancelled": "已取消",
                "merged": "已并单"}
GRABBED_BY = re.compile(r"被\s*(\S{1,6}?)\s*抢单")


def cut_bytes(text: str, limit: int, note: str = CUT_NOTE) -> str:
    """Cut at a character boundary so the UTF-8 form fits, with a note that it was cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    room = limit - len(note.encode())
    return data[:room].decode(errors="ignore") + note


def cut_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stable_id(key: str, prefix: str = "bx") -> str:
    """An id derived from the outbox key: the same notice retried gets the same id."""
    return prefix + hashlib.sha1(key.encode()).hexdigest()


def task_id(message: Outgoing) -> str:
    """[0-9a-zA-Z_-@], ≤128 bytes, unique within the app (PLATFORMS.md §1.2)."""
    return stable_id(message.key or f"{message.to}:{message.text}", "bx_")


def kf_msgid(message: Outgoing) -> str:
    """≤32 bytes of [0-9a-zA-Z_-]: our idempotency key for kf/send_msg."""
    return stable_id(message.key or f"{message.to}:{message.text}")[:32]


def can_be_card(message: Outgoing) -> bool:
    keys = [b.encode() for b in message.buttons]
    return 0 < len(keys) <= MAX_BUTTONS and len(set(keys)) == len(keys) and all(len(k) <= 1024 for k in keys)


def with_choices(message: Outgoing) -> str:
    """Buttons a channel cannot show become a line of answers the person can type."""
    if not message.buttons:
        return message.text
    return message.text + "\n回复：" + " / ".join(message.buttons)


def text_body(message: Outgoing) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": cut_bytes(with_choices(message), TEXT_BYTES)}}


def card_body(message: Outgoing, agent_id: int) -> dict[str, Any]:
    title, facts, rest = split_text(message.text)
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "main_title": {"title": cut_chars(title, TITLE_CHARS)},
        "task_id": task_id(message),
        "button_list": [{"text": cut_chars(button_label(b), BUTTON_CHARS), "style": 1 if i == 0 else 2,
                         "key": b} for i, b in enumerate(message.buttons)],
    }
    if len(title) > TITLE_CHARS:
        card["main_title"]["desc"] = cut_chars(title[TITLE_CHARS - 1:], DESC_CHARS)
    if facts:
        card["horizontal_content_list"] = [{"keyname": cut_chars(k, KEYNAME_CHARS), "value": cut_chars(v, VALUE_CHARS)}
                                           for k, v in facts[:6]]
    if rest:
        card["sub_title_text"] = cut_chars(rest, SUB_CHARS)
    return {"msgtype": "template_card", "agentid": agent_id, "template_card": card}


def split_text(text: str) -> tuple[str, list[tuple[str, str]], str]:
    """First line → title; `键：值` lines → the card's fact rows; anything else → its sub-title."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "通知", [], ""
    facts: list[tuple[str, str]] = []
    rest: list[str] = []
    for line in lines[1:]:
        match = FACT.match(line)
        if match and len(facts) < 6:
            facts.append((match.group(1), match.group(2)))
        else:
            rest.append(line)
    return lines[0], facts, "\n".join(rest)


def menu_body(message: Outgoing) -> dict[str, Any]:
    """kf msgmenu: each click's id carries the command text; it comes back as text.menu_id."""
    items = [{"type": "click", "click": {"id": b, "content": _menu_label(b)}} for b in message.buttons]
    return {"msgtype": "msgmenu", "msgmenu": {"head_content": cut_bytes(message.text, MENU_HEAD_BYTES),
                                             "list": items}}


def can_be_menu(message: Outgoing) -> bool:
    return 0 < len(message.buttons) <= MAX_MENU_ITEMS and all(
        0 < len(b.encode()) <= MENU_ID_BYTES for b in message.buttons)


def _menu_label(command: str) -> str:
    label = button_label(command)
    return f"{label} 星" if label.isdigit() else label


def final_label(kind: str, text: str) -> str | None:
    """The new button text when a notice ends an offer card, or None for other notices."""
    if kind not in FINAL_LABELS:
        return None
    grabbed = GRABBED_BY.search(text) if kind == "offer_taken" else None
    return cut_chars(f"已被{grabbed.group(1)}抢单", BUTTON_CHARS + 2) if grabbed else FINAL_LABELS[kind]
