"""WeCom AI bot (企业微信智能机器人) over its long connection: staff chat with the bot, no public URL.

Channel "wecom_bot"; addresses are described in `send`. Technicians, dispatchers and managers
are the WeCom company's members and are known by the userids of the roster's `wecom_userid`
column. Their messages (single chats, and group chats where they @ the bot) run through the same
handlers as every channel; offers are template cards whose clicks are answered within WeCom's
5-second window; every reply and notice is a proactive send.

The platform, as documented for the long connection (智能机器人长连接) and followed here:

- URL `wss://openws.work.weixin.qq.com`; one live connection per bot: a second connection that
  subscribes makes WeCom send the first an `aibot_event_callback` with
  `event.eventtype = "disconnected_event"` and close it.
- Every frame is JSON `{"cmd", "headers": {"req_id"}, "body"}`; WeCom answers each command with
  `{"headers": {"req_id": <the same>}, "errcode": 0, "errmsg": "ok"}` (upload commands add a body).
- `aibot_subscribe` body `{"bot_id", "secret"}`, first after the handshake; errcode ≠ 0: refused.
- `ping` (no body) every ~30 s; a connection without pings is dropped by WeCom.
- `aibot_msg_callback` body: `msgid` (for dedup), `aibotid`, `chatid` (groups only),
  `chattype` single|group, `from.userid`, `msgtype` text|image|mixed|voice|file|video with
  `text.content` (in groups it starts with "@<bot name>"), `voice.content` (transcribed),
  `mixed.msg_item[]`, `image|file|video.url` + `aeskey` (AES-256-CBC, link valid 5 minutes).
- `aibot_event_callback` body: `msgid`, `create_time`, `from.userid`, `chatid`/`chattype`,
  `msgtype = "event"`, `event.eventtype` enter_chat | template_card_event | feedback_event |
  disconnected_event; a click has `event.template_card_event.{card_type, event_key, task_id}`.
- `aibot_respond_msg` (reply with the callback's req_id, within 24 h), `aibot_respond_welcome_msg`
  (enter_chat, 5 s) and `aibot_respond_update_msg` (a click's req_id, within 5 s, body
  `{"response_type": "update_template_card", "template_card": {..., "task_id": <the card's>}}`).
- `aibot_send_msg` body `{"chatid": userid or group chatid, "chat_type": 1 single | 2 group,
  "msgtype": "markdown" | "template_card" | "file" | "image" …}`; only to chats where someone
  wrote to the bot before; template cards only in single chats. Markdown up to 20480 bytes.
- Rate: 30 messages a minute, 1000 an hour per chat, replies and pushes together.
- Files: `aibot_upload_media_init` {type, filename, total_size, total_chunks, md5} → upload_id;
  `aibot_upload_media_chunk` {upload_id, chunk_index, base64_data} (≤ 512 KB each, ≤ 100);
  `aibot_upload_media_finish` {upload_id} → body.media_id (valid 3 days).

WeCom's own Python SDK is a zip download, not a PyPI package (the PyPI ones are other people's
ports), and it owns the connection's life, where this service must connect only while it holds
the lease (`lease`): so the frames are spoken here over `websockets`. The card update's exact
shape (a button_interaction card with one inert button) is not confirmed against WeCom itself.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter

from bot.bootstrap import Desk
from bot.channels.wecom_bot import cards, state
from bot.channels.wecom_bot.client import BotClient
from bot.channels.wecom_bot.connection import Frame, LongConnection
from bot.channels.wecom_bot.inbound import on_click, parse, receive
from bot.channels.wecom_bot.lease import Lease
from bot.channels.wecom_bot.send import CHANNEL, WecomBotSender
from bot.channels.wecom_bot.settings import WecomBotSettings
from handlers.router import transient
from scheduler.outbound import DeliverNow, Hooks, Sender

log = logging.getLogger("baoxiu.wecom_bot")
CLICK_BUDGET = 4.0     # seconds: a click not handled by then gets a "处理中" card inside WeCom's 5
RETRIES = 6            # a frame whose handling fails transiently: tried again after 1, 2, 4 … s
WELCOME = ("您好，这里是报修助手。师傅可以说「我的工单」「到达」「完工 …」，派单员可以「代客报修」，"
           "主管可以「今日统计」；在群里请先 @我。")
WORKING = "已收到，正在处理…\n结果会另发消息告诉您。"


def build(desk: Desk, hooks: Hooks, settings: WecomBotSettings) -> WecomBotChannel:
    return WecomBotChannel(desk, hooks.deliver_now, settings)


class WecomBotChannel:
    name = CHANNEL
    click_budget = CLICK_BUDGET
    router: APIRouter | None = None
    fetch_media: Callable[[str], bytes] | None = None
    on_tick: Callable[[], int] | None = None

    def __init__(self, desk: Desk, deliver_now: DeliverNow, settings: WecomBotSettings,
                 holder: str | None = None) -> None:
        self.desk, self.deliver_now, self.settings = desk, deliver_now, settings
        self.lease = Lease(desk, settings.lease, holder)
        self.connection = LongConnection(settings, self.lease, self._frame, state.reporter(desk.store, desk.clock))
        self.client = BotClient(self.connection)
        self.senders: dict[str, Sender] = {CHANNEL: WecomBotSender(self.client)}
        self._worker: ThreadPoolExecutor | None = None
        self._idle = threading.Condition()
        self._pending = 0
        self.received = 0

    def start(self) -> None:
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wecom-bot-work")
        self.connection.start()

    def stop(self) -> None:
        self.connection.stop()
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None

    def wait_handled(self, count: int, timeout: float = 10.0) -> bool:
        """True once `count` work frames have arrived and every one is handled (tests, shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self.received >= count and self._pending == 0, timeout)

    # --- on the connection's thread: hand over at once ---------------------------------

    def _frame(self, frame: Frame) -> None:
        if self._worker is None:
            return
        click = cards.click(frame) if frame.get("cmd") == "aibot_event_callback" else None
        if click is not None:
            # WeCom waits 5 s for the card update; a click queued behind slow work still gets one.
            self.connection.call_later(self.click_budget, lambda: self._working(click))
        with self._idle:
            self._pending += 1
            self.received += 1
        self._worker.submit(self._work, frame, click, 0)

    async def _working(self, click: cards.Click) -> None:
        try:
            await self.connection.answer_first(click.req_id, "aibot_respond_update_msg", {
                "response_type": "update_template_card", "template_card": cards.answered(click, WORKING)}, 2.0)
        except Exception as e:   # best effort: the result is sent as a message anyway
            log.info("WeCom AI bot: interim card update failed (%s)", type(e).__name__)

    # --- on the worker thread: the database, the handlers, the sends -------------------

    def _work(self, frame: Frame, click: cards.Click | None, tries: int) -> None:
        try:
            self._handle(frame, click)
        except Exception as e:
            if transient(e) and tries < RETRIES:
                log.warning("WeCom AI bot frame not handled (%s); retry %d", type(e).__name__, tries + 1)
                self._later(frame, click, tries + 1)
                return
            log.exception("WeCom AI bot frame failed")   # the frame's content is never logged
        self._settle()

    def _later(self, frame: Frame, click: cards.Click | None, tries: int) -> None:
        def again() -> None:
            if self._worker is None:
                self._settle()
                return
            self._worker.submit(self._work, frame, click, tries)
        timer = threading.Timer(2.0 ** (tries - 1), again)
        timer.daemon = True
        timer.start()

    def _settle(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _handle(self, frame: Frame, click: cards.Click | None) -> None:
        if click is not None:
            on_click(self.desk, self.client, click)
        elif frame.get("cmd") == "aibot_msg_callback":
            message = parse(frame)
            if message is None:
                log.info("WeCom AI bot: a message callback without sender or msgid ignored")
                return
            receive(self.desk, message)
        else:
            self._event(frame)
            return
        self._deliver()

    def _event(self, frame: Frame) -> None:
        body: dict[str, Any] = frame.get("body") or {}
        kind = (body.get("event") or {}).get("eventtype")
        req_id = (frame.get("headers") or {}).get("req_id")
        if kind == "enter_chat" and isinstance(req_id, str) and req_id:
            # The first visit of the day to the single chat: WeCom takes one welcome within 5 s.
            try:
                self.connection.answer_once(req_id, "aibot_respond_welcome_msg",
                                            {"msgtype": "text", "text": {"content": WELCOME}})
            except Exception as e:
                log.info("WeCom AI bot: welcome not sent (%s)", type(e).__name__)
            return
        log.info("WeCom AI bot event %s not acted on", str(kind)[:40])

    def _deliver(self) -> None:
        """The replies go out at once; whatever fails here the scheduler retries."""
        try:
            self.deliver_now()
        except Exception:
            log.exception("immediate WeCom AI bot delivery failed; the scheduler will retry")
