"""Decrypted WeCom messages (app XML fields, kf sync_msg items) → platform-neutral `Inbound`."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from handlers.base import Inbound, Place

APP, KF = "wecom", "wecom_kf"
KF_MEDIA = "kf:"               # media refs from 微信客服 are fetched with the kf token
VOICE_REPLY = "暂时听不了语音，请用文字描述问题，或发一张照片。"
ENTER_TEXT = "帮助"           # entering the app greets with the role's own menu
KF_CUSTOMER = 3                # sync_msg origin: a message the WeChat customer wrote


@dataclass(frozen=True)
class Parsed:
    """What a callback asks of us. kind: message | voice | card_click | kf_event | ignored."""

    kind: str
    inbound: Inbound | None = None
    detail: str = ""           # the ignored type, for the log
    response_code: str = ""
    open_kfid: str = ""
    token: str = ""
    event: dict[str, Any] | None = None   # a kf system event (enter_session, session_status_change)
    msg_id: str = ""


def dedup_id(msg: dict[str, str]) -> str:
    """MsgId for messages; events have none: FromUserName + CreateTime + Event (+ what was clicked)."""
    if msg.get("MsgId"):
        return msg["MsgId"]
    parts = [msg.get("FromUserName", ""), msg.get("CreateTime", ""), msg.get("Event", "")]
    clicked = msg.get("TaskId", "") + msg.get("EventKey", "") + msg.get("ResponseCode", "")
    if clicked:
        parts.append(hashlib.sha1(clicked.encode()).hexdigest()[:16])
    return "-".join(parts)[:128]


def sent_at(seconds: object) -> datetime | None:
    """CreateTime / send_time: epoch seconds as the platform stamped the message."""
    try:
        return datetime.fromtimestamp(int(seconds), timezone.utc)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def parse_app(msg: dict[str, str]) -> Parsed:
    kind = msg.get("MsgType", "")
    if kind == "event":
        return _event(msg)
    user = msg.get("FromUserName", "")
    if not user:
        return Parsed("ignored", detail="no sender")
    make = _MESSAGES.get(kind)
    if make is None:
        return Parsed("ignored", detail=kind[:20] or "no type")
    if kind == "voice":
        return Parsed("voice", Inbound(APP, user, VOICE_REPLY, msg_id=dedup_id(msg)))
    return Parsed("message", Inbound(APP, user, msg_id=dedup_id(msg), sent_at=sent_at(msg.get("CreateTime")),
                                     **make(msg)))


def _event(msg: dict[str, str]) -> Parsed:
    event, user = msg.get("Event", ""), msg.get("FromUserName", "")
    if event == "kf_msg_or_event":
        return Parsed("kf_event", open_kfid=msg.get("OpenKfId", ""), token=msg.get("Token", ""))
    if not user:
        return Parsed("ignored", detail=f"event {event[:20]}")
    if event == "template_card_event" and msg.get("EventKey"):
        inbound = Inbound(APP, user, msg["EventKey"], msg_id=dedup_id(msg))
        return Parsed("card_click", inbound, response_code=msg.get("ResponseCode", ""))
    if event == "click" and msg.get("EventKey"):
        return Parsed("message", Inbound(APP, user, msg["EventKey"], msg_id=dedup_id(msg)))
    if event == "enter_agent":
        return Parsed("message", Inbound(APP, user, ENTER_TEXT, msg_id=dedup_id(msg)))
    return Parsed("ignored", detail=f"event {event[:20]}")


def _text(msg: dict[str, str]) -> dict[str, Any]:
    return {"text": msg.get("Content", "")}


def _image(msg: dict[str, str]) -> dict[str, Any]:
    return {"media": msg.get("MediaId", "")} if msg.get("MediaId") else {"text": ""}


def _location(msg: dict[str, str]) -> dict[str, Any]:
    """Location_X is the latitude, Location_Y the longitude; the label also reads as an address."""
    place = Place(msg.get("Label", "").strip()[:200], _number(msg.get("Location_X")), _number(msg.get("Location_Y")))
    return {"text": location_text(place.label), "place": place}


def location_text(label: str) -> str:
    """The text of a shared location is its label: in a report dialog it answers the address step."""
    return label.strip()[:200] or "位置"


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


_MESSAGES = {"text": _text, "image": _image, "location": _location, "voice": _text}


def parse_kf(item: dict[str, Any]) -> Parsed:
    """One sync_msg item; only what the customer wrote is handled (our own sends never come back)."""
    user, msgid, kind = str(item.get("external_userid", "")), str(item.get("msgid", "")), item.get("msgtype")
    if kind == "event" and isinstance(item.get("event"), dict) and msgid:
        event = item["event"]
        return Parsed("kf_system", detail=str(event.get("event_type", ""))[:40], event=event,
                      open_kfid=str(event.get("open_kfid") or item.get("open_kfid") or ""), msg_id=msgid)
    if item.get("origin") != KF_CUSTOMER or not user or not msgid:
        return Parsed("ignored", detail=f"kf origin {item.get('origin')} {str(kind)[:12]}")
    if kind == "text":
        text = item.get("text") or {}
        # A menu click comes back as text whose menu_id is the command we put there.
        return Parsed("message", Inbound(KF, user, str(text.get("menu_id") or text.get("content", "")), msgid,
                                         sent_at=sent_at(item.get("send_time"))))
    if kind == "image" and (item.get("image") or {}).get("media_id"):
        return Parsed("message", Inbound(KF, user, msg_id=msgid, media=KF_MEDIA + item["image"]["media_id"]))
    if kind == "location":
        shared = item.get("location") or {}
        label = f"{shared.get('name', '')} {shared.get('address', '')}".strip()[:200]
        place = Place(label, _number(shared.get("latitude")), _number(shared.get("longitude")))
        return Parsed("message", Inbound(KF, user, location_text(label), msgid, place=place))
    if kind == "voice":
        return Parsed("voice", Inbound(KF, user, VOICE_REPLY, msgid))
    return Parsed("ignored", detail=f"kf {str(kind)[:20]}")
