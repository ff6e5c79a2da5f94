"""The long connection itself: a WebSocket this process opens to WeCom, while it holds the lease.

Its own thread runs an asyncio loop that, in turn: waits to hold the lease (`lease.Lease`),
connects, subscribes (`aibot_subscribe` with bot_id and secret; an errcode other than 0 is a
refused credential), then reads frames, pings every `heartbeat` seconds and renews the lease
every lease/4 seconds. Frames that carry work (`aibot_msg_callback`, `aibot_event_callback`) go
to `on_frame`, which must return at once (the channel hands them to its worker thread); frames
that answer one of our commands (`headers.req_id` of a request we sent) resolve that request.

Closing rules:
- the lease cannot be renewed (another process took it after we stalled): close, wait as a
  candidate again;
- `disconnected_event` (a second connection subscribed with the same bot): if another process of
  ours holds the lease now, it is the takeover and we simply step back; if we still hold it,
  something outside this deployment connected with the same bot, and we keep the lease but stay
  off for `KICKED_PAUSE`, so the two do not kick each other in a loop (the reason is in `state`);
- the socket drops: reconnect with a doubling backoff while we still hold the lease.

Other threads call `request` (send a command, wait for its answer) and `answer_once` (a card
update that must go out once, within the click's 5-second window).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import websockets

from bot import safe_json
from bot.channels.wecom_bot.lease import Lease
from bot.channels.wecom_bot.settings import WecomBotSettings

log = logging.getLogger("baoxiu.wecom_bot")
Frame = dict[str, Any]
KICKED_PAUSE = 300.0     # seconds off after a connection outside this deployment took the bot
RECONNECT_MAX = 60.0
ANSWER_TIMEOUT = 10.0    # seconds to wait for WeCom's answer to one command
ANSWERED_KEPT = 1000


class NotConnected(Exception):
    """This process has no live connection (another one holds it, or it is down)."""


class CommandFailed(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg[:80]}")
        self.errcode = errcode


def request_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


class LongConnection:
    reconnect_base = 1.0

    def __init__(self, settings: WecomBotSettings, lease: Lease, on_frame: Callable[[Frame], None],
                 status: Callable[[str, str], None] = lambda what, detail: None) -> None:
        self.settings, self.lease, self.on_frame, self._report = settings, lease, on_frame, status
        self.states: list[str] = []              # what it went through, newest last (tests, logs)
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.connections = 0
        self._ws: Any = None          # the subscribed connection commands go over
        self._socket: Any = None      # the last socket opened, until it is closed
        self._pending: dict[str, asyncio.Future[Frame]] = {}
        self._answered: dict[str, None] = {}   # callbacks answered, oldest first (a click answers once)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = threading.Event()

    # --- other threads -----------------------------------------------------------------

    def start(self) -> None:
        self.stopping.clear()
        self._thread = threading.Thread(target=self._run, name="wecom-bot", daemon=True)
        self._thread.start()
        self._ready.wait(5)

    def status(self, what: str, detail: str) -> None:
        with self.changed:
            self.states.append(what)
            del self.states[:-50]
            self.changed.notify_all()
        self._report(what, detail)

    def wait_for(self, what: str, after: int = 0, timeout: float = 10.0) -> bool:
        """True once the connection reports `what` (after its first `after` reports)."""
        with self.changed:
            return self.changed.wait_for(lambda: what in self.states[after:], timeout)

    def stop(self, timeout: float = 5.0, give_back: bool = True) -> None:
        """`give_back=False` is a process killed outright: the lease stays until it runs out."""
        self.stopping.set()
        if self._loop is not None and self._task is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
        if give_back:
            self.lease.give_back()

    def nudge(self) -> None:
        """Look at the lease now instead of at the next renewal (tests; a stop elsewhere)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    def request(self, cmd: str, body: Frame, req_id: str | None = None,
                timeout: float = ANSWER_TIMEOUT) -> Frame:
        """Send one command and return WeCom's answer; never call it from the connection's thread."""
        return self._call(self._request(cmd, body, req_id or request_id(cmd), timeout), timeout + 1)

    def answer_once(self, req_id: str, cmd: str, body: Frame, timeout: float = ANSWER_TIMEOUT) -> bool:
        """Answer a callback at most once (a card update); False when it was answered already."""
        return bool(self._call(self.answer_first(req_id, cmd, body, timeout), timeout + 1))

    def call_later(self, delay: float, work: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: loop.call_later(delay, lambda: loop.create_task(work())))

    def _call(self, coro: Coroutine[Any, Any, Any], timeout: float) -> Any:
        loop = self._loop
        if loop is None or loop.is_closed() or not self.connected.is_set():
            coro.close()   # never awaited: closed, so Python does not warn of it
            raise NotConnected("no live connection in this process")
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError("no answer from WeCom") from None

    # --- the connection's thread -------------------------------------------------------

    async def _request(self, cmd: str, body: Frame, req_id: str, timeout: float) -> Frame:
        ws = self._ws
        if ws is None:
            raise NotConnected("the connection dropped")
        answer: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._pending[req_id] = answer
        try:
            await ws.send(safe_dumps({"cmd": cmd, "headers": {"req_id": req_id}, "body": body}))
            frame = await asyncio.wait_for(answer, timeout)
        except websockets.exceptions.ConnectionClosed:
            raise NotConnected("the connection dropped") from None
        finally:
            self._pending.pop(req_id, None)
        code = frame.get("errcode", 0)
        if code:
            raise CommandFailed(int(code) if isinstance(code, int) else -1, str(frame.get("errmsg", "")))
        return frame

    async def answer_first(self, req_id: str, cmd: str, body: Frame, timeout: float) -> bool:
        if req_id in self._answered:
            return False
        self._answered[req_id] = None
        while len(self._answered) > ANSWERED_KEPT:   # WeCom's answer windows are seconds long
            del self._answered[next(iter(self._answered))]
        await self._request(cmd, body, req_id, timeout)
        return True

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop, self._wake = loop, asyncio.Event()
        self._task = loop.create_task(self._hold())
        self._ready.set()
        try:
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            if self._socket is not None:   # a stop can cut the closing handshake short: end the TCP
                self._socket.transport.abort()
            loop.close()

    async def _hold(self) -> None:
        """Candidate → holder → connected, for as long as the process runs."""
        delay = self.reconnect_base
        while not self.stopping.is_set():
            if not await asyncio.to_thread(self.lease.take):
                self.status("waiting", "another process holds the connection")
                await self._pause(self.lease.renew_every)
                continue
            try:
                outcome = await self._session()
            except Exception:   # a bug must not end the connection for good: treated as a drop
                log.exception("WeCom AI bot connection failed")
                outcome = "dropped"
            if outcome == "kicked":
                if await asyncio.to_thread(self.lease.held_by_other):
                    self.status("waiting", "another process of ours took the connection over")
                    continue
                self.status("kicked", "another connection with this bot_id subscribed (not ours)")
                log.error("WeCom AI bot: a connection outside this deployment took the bot; off for %ds",
                          int(KICKED_PAUSE))
                await self._pause(KICKED_PAUSE, renewing=True)
            elif outcome == "lost":
                self.status("waiting", "the lease went to another process")
            elif outcome == "refused":
                await self._pause(RECONNECT_MAX, renewing=True)
            elif not self.stopping.is_set():
                await self._pause(delay, renewing=True)
                delay = min(delay * 2, RECONNECT_MAX)
                continue
            delay = self.reconnect_base

    async def _pause(self, seconds: float, renewing: bool = False) -> None:
        """Wait (woken early by `nudge`), renewing the lease meanwhile when we keep it."""
        assert self._wake is not None
        end = asyncio.get_running_loop().time() + seconds
        while not self.stopping.is_set():
            left = end - asyncio.get_running_loop().time()
            if left <= 0:
                return
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), min(left, self.lease.renew_every))
                return
            except asyncio.TimeoutError:
                if renewing and not await asyncio.to_thread(self.lease.take):
                    return

    async def _session(self) -> str:
        """One connection: "kicked", "lost" (lease), "refused" (credentials), "dropped" or "stopped"."""
        try:
            async with websockets.connect(self.settings.ws_url, open_timeout=10, ping_interval=None,
                                          max_size=2 ** 20, logger=_NoFrames(log)) as ws:
                self._ws = self._socket = ws
                try:
                    return await self._subscribed(ws)
                finally:
                    self._ws = None
                    self.connected.clear()
                    for waiting in self._pending.values():
                        waiting.cancel()
        except (OSError, asyncio.TimeoutError, NotConnected, websockets.exceptions.WebSocketException) as e:
            log.warning("WeCom AI bot connection dropped (%s)", type(e).__name__)
            self.status("down", type(e).__name__)
            return "dropped"

    async def _subscribed(self, ws: Any) -> str:
        reader = asyncio.create_task(self._read(ws))
        try:
            await self._request("aibot_subscribe", {"bot_id": self.settings.bot_id, "secret": self.settings.secret},
                                request_id("aibot_subscribe"), ANSWER_TIMEOUT)
        except CommandFailed as e:
            log.error("WeCom AI bot: subscribe refused (%s)", e)
            self.status("refused", str(e))
            reader.cancel()
            return "refused"
        except BaseException:
            reader.cancel()
            raise
        self.connections += 1
        self.connected.set()
        self.status("connected", self.lease.holder)
        log.info("WeCom AI bot connected")
        beat = asyncio.create_task(self._beat())
        try:
            done, _ = await asyncio.wait({reader, beat}, return_when=asyncio.FIRST_COMPLETED)
            return next(iter(done)).result()
        finally:
            for task in (reader, beat):
                task.cancel()

    async def _beat(self) -> str:
        """Pings and lease renewals; "lost" when the lease went elsewhere."""
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + self.settings.heartbeat
        while True:
            await self._pause(min(self.settings.heartbeat, self.lease.renew_every))
            if self.stopping.is_set():
                return "stopped"
            if not await asyncio.to_thread(self.lease.take):
                return "lost"
            if loop.time() >= next_ping:
                next_ping = loop.time() + self.settings.heartbeat
                try:
                    await self._request("ping", {}, request_id("ping"), ANSWER_TIMEOUT)
                except (asyncio.TimeoutError, CommandFailed, NotConnected):
                    return "dropped"   # no pong: the connection is dead even if the socket is open

    async def _read(self, ws: Any) -> str:
        try:
            async for raw in ws:
                if self._route(raw) == "kicked":
                    return "kicked"
        except websockets.exceptions.ConnectionClosed:
            pass
        return "stopped" if self.stopping.is_set() else "dropped"

    def _route(self, raw: str | bytes) -> str:
        try:
            frame = safe_json.loads(raw)
        except ValueError:
            log.warning("WeCom AI bot: a frame that is not JSON was dropped")
            return ""
        if not isinstance(frame, dict):
            return ""
        req_id = str((frame.get("headers") or {}).get("req_id", ""))
        cmd = frame.get("cmd")
        if req_id in self._pending and cmd not in CALLBACKS:
            if not self._pending[req_id].done():
                self._pending[req_id].set_result(frame)
            return ""
        if cmd == "aibot_event_callback" and _event_type(frame) == "disconnected_event":
            log.warning("WeCom AI bot: another connection subscribed; this one is closed")
            return "kicked"
        if cmd in CALLBACKS:
            self.on_frame(frame)
        return ""


CALLBACKS = ("aibot_msg_callback", "aibot_event_callback")


def _event_type(frame: Frame) -> str:
    event = (frame.get("body") or {}).get("event") or {}
    return str(event.get("eventtype", "")) if isinstance(event, dict) else ""


def safe_dumps(frame: Frame) -> str:
    return json.dumps(frame, ensure_ascii=False)


class _NoFrames(logging.LoggerAdapter):
    """websockets logs every frame's text at DEBUG; frames carry names and phones, so never here."""

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)
