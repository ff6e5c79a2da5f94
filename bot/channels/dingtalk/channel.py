"""DingTalk (钉钉): the enterprise robot in HTTP callback mode or Stream mode, events, replies, job cards.

- mode "http": robot messages at POST /dingtalk/robot, events at POST /dingtalk/events.
- mode "stream": both over the Stream connection started by `start`; no routes.
- card_template_id set: messages with buttons become interactive cards whose clicks come back
  over a Stream connection in either mode (the authentication of HTTP card callbacks is not
  documented well enough to expose such a route); without it, ActionCards with links that
  send the command text.
- chart_card_template_id set: figures (今日统计, 本周统计, the daily report) go as a card whose chart
  components DingTalk draws; without it, as a picture in the robot chat.

Channel "dingtalk"; addresses are described in `send`.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from bot.bootstrap import Desk
from bot.channels.dingtalk.cards import CardBook
from bot.channels.dingtalk.chart_card import ChartCards
from bot.channels.dingtalk.client import DingtalkClient
from bot.channels.dingtalk.crypto import EventCrypto
from bot.channels.dingtalk.events import on_event
from bot.channels.dingtalk.inbound import CHANNEL, Malformed, deliver_quietly, on_card_click, parse, receive
from bot.channels.dingtalk.routes import build_router
from bot.channels.dingtalk.send import DingtalkSender
from bot.channels.dingtalk.settings import DingtalkSettings
from handlers.router import transient
from scheduler.outbound import DeliverNow, Hooks, Sender

if TYPE_CHECKING:  # the Stream SDK is imported only when a Stream connection is configured
    from bot.channels.dingtalk.stream import StreamRunner

log = logging.getLogger("baoxiu.dingtalk")
ROBOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"


def build(desk: Desk, hooks: Hooks, settings: DingtalkSettings) -> DingtalkChannel:
    return DingtalkChannel(desk, hooks.deliver_now, settings)


class DingtalkChannel:
    name = CHANNEL
    on_tick: Callable[[], int] | None = None

    def __init__(self, desk: Desk, deliver_now: DeliverNow, settings: DingtalkSettings) -> None:
        self.desk, self.deliver_now, self.settings = desk, deliver_now, settings
        self.client = DingtalkClient(desk)
        self.cards = CardBook(desk, self.client, settings.card_template_id) if settings.card_template_id else None
        charts = ChartCards(self.client, settings.chart_card_template_id) if settings.chart_card_template_id else None
        self.senders: dict[str, Sender] = {CHANNEL: DingtalkSender(desk, self.client, self.cards, charts)}
        self.fetch_media: Callable[[str], bytes] | None = self.client.download
        self.router: APIRouter | None = None
        if settings.mode == "http":
            self.router = build_router(desk, settings, event_crypto(settings), deliver_now)
        self.stream = self._stream()

    def start(self) -> None:
        if self.stream is not None:
            self.stream.start()

    def stop(self) -> None:
        if self.stream is not None:
            self.stream.stop()

    def _stream(self) -> StreamRunner | None:
        s = self.settings
        if s.mode != "stream" and self.cards is None:
            return None
        # The SDK is imported only when a Stream connection is configured.
        from bot.channels.dingtalk.stream import StreamRunner

        callbacks: dict[str, Callable[[dict[str, Any]], None]] = {}
        if s.mode == "stream":
            callbacks[ROBOT_TOPIC] = self._robot_frame
        if self.cards is not None:
            callbacks[CARD_TOPIC] = self._card_frame
        events = self._event_frame if s.mode == "stream" else None
        return StreamRunner(s.app_key, s.app_secret, s.api_base_url, callbacks, events, retryable=transient)

    def _robot_frame(self, data: dict[str, Any]) -> None:
        try:
            message = parse(data)
        except Malformed as e:
            log.info("DingTalk stream message refused: %s", str(e)[:40])
            return
        if message is not None:
            receive(self.desk, message)
            deliver_quietly(self.deliver_now)

    def _card_frame(self, data: dict[str, Any]) -> None:
        assert self.cards is not None
        on_card_click(self.desk, self.cards, data)
        deliver_quietly(self.deliver_now)

    def _event_frame(self, data: dict[str, Any]) -> None:
        on_event(self.desk, data)
        deliver_quietly(self.deliver_now)


def event_crypto(s: DingtalkSettings) -> EventCrypto | None:
    if not (s.event_token and s.event_aes_key):
        return None
    return EventCrypto(s.event_token, s.event_aes_key, (s.app_key, s.corp_id))
