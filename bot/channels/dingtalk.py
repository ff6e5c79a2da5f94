"""DingTalk (钉钉): the enterprise robot in HTTP callback mode or Stream mode, events, replies, job cards.

- mode "http": robot messages at POST /dingtalk/robot, events at POST /dingtalk/events.
- mode "stream": both over the Stream connection started by `Platform.start`; no routes.
- card_template_id set: messages with buttons become interactive cards whose clicks come back
  over a Stream connection in either mode (the authentication of HTTP card callbacks is not
  documented well enough to expose such a route); without it, ActionCards with links that
  send the command text.

Channel "dingtalk"; addresses are described in `dingtalk_render`.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.bootstrap import Desk
from bot.channels.dingtalk_cards import CardBook
from bot.channels.dingtalk_client import DingtalkClient
from bot.channels.dingtalk_events import on_event, seed_identities
from bot.channels.dingtalk_inbound import CHANNEL, Malformed, deliver_now, on_card_click, parse, receive
from bot.channels.dingtalk_routes import build_router
from bot.channels.dingtalk_sender import DingtalkSender
from bot.channels.dingtalk_sign import EventCrypto
from bot.platforms import Platform
from handlers.router import transient

if TYPE_CHECKING:
    from bot.channels.dingtalk_stream import StreamRunner

log = logging.getLogger("baoxiu.dingtalk")
ROBOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"


def platform(desk: Desk) -> Platform:
    s = desk.settings.dingtalk
    client = DingtalkClient(desk)
    cards = CardBook(desk, client, s.card_template_id) if s.card_template_id else None
    seed_identities(desk)
    found = Platform(CHANNEL, senders={CHANNEL: DingtalkSender(desk, client, cards)}, fetch_media=client.download)
    if s.mode == "http":
        found.router = build_router(desk, event_crypto(desk))
    stream = _stream(desk, cards)
    if stream is not None:
        desk.extras["dingtalk.stream"] = stream
        found.start, found.stop = stream.start, stream.stop
    return found


def event_crypto(desk: Desk) -> EventCrypto | None:
    s = desk.settings.dingtalk
    if not (s.event_token and s.event_aes_key):
        return None
    return EventCrypto(s.event_token, s.event_aes_key, (s.app_key, s.corp_id))


def _stream(desk: Desk, cards: CardBook | None) -> StreamRunner | None:
    s = desk.settings.dingtalk
    if s.mode != "stream" and cards is None:
        return None
    from bot.channels.dingtalk_stream import StreamRunner  # the SDK is imported only when used

    callbacks: dict[str, Callable[[dict[str, Any]], None]] = {}
    if s.mode == "stream":
        callbacks[ROBOT_TOPIC] = lambda data: _robot_frame(desk, data)
    if cards is not None:
        callbacks[CARD_TOPIC] = lambda data: _card_frame(desk, cards, data)
    events = (lambda data: _event_frame(desk, data)) if s.mode == "stream" else None
    return StreamRunner(s.app_key, s.app_secret, s.api_base_url, callbacks, events, retryable=transient)


def _robot_frame(desk: Desk, data: dict[str, Any]) -> None:
    try:
        message = parse(data)
    except Malformed as e:
        log.info("DingTalk stream message refused: %s", str(e)[:40])
        return
    if message is not None:
        receive(desk, message)
        deliver_now(desk)


def _card_frame(desk: Desk, cards: CardBook, data: dict[str, Any]) -> None:
    on_card_click(desk, cards, data)
    deliver_now(desk)


def _event_frame(desk: Desk, data: dict[str, Any]) -> None:
    on_event(desk, data)
    deliver_now(desk)
