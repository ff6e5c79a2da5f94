"""Stream mode: an outbound connection to DingTalk's gateway, so no public URL is needed.

The dingtalk-stream SDK parses and acknowledges frames; this module adds what a service needs
around it: its own thread and event loop, a stop, reconnection with backoff after a drop,
the gateway address from the settings (the SDK fixes it at import from
DINGTALK_OPENAPI_ENDPOINT), timeouts, and acks sent before the work is done. The work itself
(handlers, database, replies) runs on one worker thread, in the order the frames came; a frame
whose work fails in a way a retry may cure (the database or store unreachable) is kept and
handed to that thread again after a backoff.

Frames carry what people wrote (names, phones, addresses), so none is ever logged: the SDK's
routing, which logs whole frames for unknown topics, pings and disconnects, is replaced here,
and websockets' frame-by-frame debug output is switched off for this connection. Frames of a
topic or type we do not handle are acknowledged all the same, so the gateway does not resend.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote_plus

import httpx
import websockets
from dingtalk_stream import AckMessage, CallbackHandler, CallbackMessage, Credential, DingTalkStreamClient, EventHandler
from dingtalk_stream.frames import EventMessage, Headers, SystemMessage

from bot import safe_json

log = logging.getLogger("baoxiu.dingtalk.stream")
Work = Callable[[dict[str, Any]], None]
RECONNECT_MAX = 60.0
RETRY_LIMIT = 20     # a frame whose handling keeps failing transiently: ~15 minutes of retries


class StreamRunner:
    reconnect_base = 1.0  # seconds before the first reconnect; doubles while it keeps failing
    # How the backoff waits; tests swap it for one that records the delay and returns at once.
    pause: Callable[[float], Awaitable[None]] = staticmethod(asyncio.sleep)

    def __init__(self, app_key: str, app_secret: str, endpoint: str, callbacks: dict[str, Work],
                 on_event: Work | None = None,
                 retryable: Callable[[BaseException], bool] = lambda e: False) -> None:
        self.retryable = retryable
        self.client = _Client(Credential(app_key, app_secret), endpoint.rstrip("/"), self)
        for topic, work in callbacks.items():
            self.client.register_callback_handler(topic, _Callback(self, work))
        if on_event is not None:
            self.client.register_all_event_handler(_Events(self, on_event))
        self._worker: ThreadPoolExecutor | None = None
        self._idle = threading.Condition()
        self._pending = 0
        self._retries: set[concurrent.futures.Future[None]] = set()
        self.stopping = threading.Event()
        self.connections = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.stopping.clear()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dingtalk-work")
        self._thread = threading.Thread(target=self._run, name="dingtalk-stream", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        with self._idle:
            waiting = list(self._retries)
        for frame in waiting:  # frames waiting for a retry go with the process
            frame.cancel()
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
        if self._worker is not None:
            self._worker.shutdown(wait=True)

    def submit(self, work: Work, data: dict[str, Any]) -> None:
        if self._worker is None:
            return
        with self._idle:
            self._pending += 1
        self._worker.submit(self._do, work, data, 0)

    def wait_idle(self, timeout: float) -> bool:
        """True once every frame received so far has been handled (tests, shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _do(self, work: Work, data: dict[str, Any], tries: int) -> None:
        try:
            work(data)
        except Exception as e:
            # The frame was acked on arrival (the gateway does not wait for our database), and
            # DingTalk documents no redelivery of a frame acked with an error status (the Python
            # SDK has no "later" ack either), so a failure a retry may cure (database or store
            # unreachable; nothing of it was recorded) keeps the frame here and hands it to the
            # worker again after a backoff. Parts already handled are then dropped as repeats by
            # the dedup rows. Only a process stopping while the frame waits loses it.
            if self.retryable(e) and tries < RETRY_LIMIT and self._later(work, data, tries + 1):
                log.warning("DingTalk stream frame not handled (%s); retry %d", type(e).__name__, tries + 1)
                return  # still pending: the retry settles it
            log.exception("DingTalk stream frame failed")  # the frame's content is never logged
        self._settle()

    def _later(self, work: Work, data: dict[str, Any], tries: int) -> bool:
        loop = self._loop
        if loop is None or loop.is_closed() or self.stopping.is_set():
            return False
        delay = min(self.reconnect_base * 2 ** (tries - 1), RECONNECT_MAX)
        waiting = asyncio.run_coroutine_threadsafe(self._retry(work, data, tries, delay), loop)
        with self._idle:
            self._retries.add(waiting)
        waiting.add_done_callback(self._forget)
        return True

    def _forget(self, waiting: concurrent.futures.Future[None]) -> None:
        with self._idle:
            self._retries.discard(waiting)

    async def _retry(self, work: Work, data: dict[str, Any], tries: int, delay: float) -> None:
        await self.pause(delay)
        try:
            if self._worker is None:
                raise RuntimeError("no worker")
            self._worker.submit(self._do, work, data, tries)
        except RuntimeError:  # shut down meanwhile
            log.warning("DingTalk stream frame dropped at shutdown before its retry")
            self._settle()

    def _settle(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._task = loop.create_task(self.client.run())
        try:
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            loop.close()


class _Client(DingTalkStreamClient):
    def __init__(self, credential: Credential, endpoint: str, runner: StreamRunner) -> None:
        super().__init__(credential, logger=log)
        self.endpoint, self.runner = endpoint, runner
        self._tasks: set[asyncio.Task[Any]] = set()

    def open_connection(self) -> dict[str, Any] | None:
        topics = [{"type": "EVENT", "topic": "*"}] if self._is_event_required else []
        topics += [{"type": "CALLBACK", "topic": t} for t in self.callback_handler_map]
        body = {"clientId": self.credential.client_id, "clientSecret": self.credential.client_secret,
                "subscriptions": topics, "ua": "baoxiu/dingtalk-stream", "localIp": ""}
        try:
            response = httpx.post(self.endpoint + "/v1.0/gateway/connections/open", json=body, timeout=10.0)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as e:
            log.warning("DingTalk stream: opening a connection failed (%s)", type(e).__name__)
            return None
        if response.status_code != 200 or not isinstance(answer, dict) or "endpoint" not in answer:
            log.warning("DingTalk stream: gateway refused the connection (HTTP %s)", response.status_code)
            return None
        return answer

    async def run(self) -> None:
        self.pre_start()
        delay = self.runner.reconnect_base
        while not self.runner.stopping.is_set():
            connection = await asyncio.to_thread(self.open_connection)
            if connection:
                try:
                    await self._session(connection)
                    delay = self.runner.reconnect_base  # it was up: the next drop reconnects quickly
                except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as e:
                    log.warning("DingTalk stream dropped (%s); reconnecting", type(e).__name__)
            if self.runner.stopping.is_set():
                break
            await self.runner.pause(delay)
            delay = min(delay * 2, RECONNECT_MAX)

    async def _session(self, connection: dict[str, Any]) -> None:
        uri = f'{connection["endpoint"]}?ticket={quote_plus(str(connection.get("ticket", "")))}'
        async with websockets.connect(uri, open_timeout=10, logger=_NoFrames(log)) as ws:
            self.websocket = ws
            self.runner.connections += 1
            log.info("DingTalk stream connected")
            keepalive = asyncio.create_task(self.keepalive(ws))
            try:
                async for raw in ws:
                    self._spawn(raw)
            finally:
                keepalive.cancel()

    def _spawn(self, raw: str | bytes) -> None:
        try:
            frame = safe_json.loads(raw)
        except ValueError:
            log.warning("DingTalk stream: a frame that is not JSON was dropped")
            return
        task = asyncio.create_task(self.background_task(frame))
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)

    async def background_task(self, json_message: dict[str, Any]) -> None:
        try:
            if await self.route_message(json_message) == DingTalkStreamClient.TAG_DISCONNECT:
                await self.websocket.close()
        except Exception as e:  # the SDK would log the exception text, which can quote the frame
            log.warning("DingTalk stream: frame failed (%s)", type(e).__name__)

    async def route_message(self, json_message: dict[str, Any]) -> str:
        """The SDK's routing without its logging of whole frames; every frame is acknowledged."""
        try:
            ack, result = await self._route(json_message)
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            log.warning("DingTalk stream: frame not understood (%s)", type(e).__name__)
            await self._refuse(json_message)
            return ""
        await self.websocket.send(json.dumps(ack.to_dict()))
        return result

    async def _route(self, frame: dict[str, Any]) -> tuple[AckMessage, str]:
        kind, headers = frame.get("type", ""), frame.get("headers") or {}
        topic = str(headers.get("topic", ""))[:80]
        if kind == SystemMessage.TYPE:
            ack = await self.system_handler.raw_process(SystemMessage.from_dict(frame))  # echoes pings
            if topic == SystemMessage.TOPIC_DISCONNECT:
                log.info("DingTalk stream: the gateway asked for a new connection")
                return ack, DingTalkStreamClient.TAG_DISCONNECT
            return ack, ""
        if kind == EventMessage.TYPE:
            return await self.event_handler.raw_process(EventMessage.from_dict(frame)), ""
        if kind == CallbackMessage.TYPE:
            message = CallbackMessage.from_dict(frame)
            handler = self.callback_handler_map.get(message.headers.topic)
            if handler is not None:
                return await handler.raw_process(message), ""
        log.info("DingTalk stream: %s frame on topic %s acknowledged and ignored", str(kind)[:20], topic)
        return _ack(str(headers["messageId"])), ""

    async def _refuse(self, frame: dict[str, Any]) -> None:
        headers = frame.get("headers") if isinstance(frame, dict) else None
        if isinstance(headers, dict) and headers.get("messageId"):
            ack = _ack(str(headers["messageId"]), AckMessage.STATUS_BAD_REQUEST)
            await self.websocket.send(json.dumps(ack.to_dict()))


class _NoFrames(logging.LoggerAdapter):
    """websockets logs every frame's text at DEBUG; for this connection it never does."""

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


def _ack(message_id: str, code: int = AckMessage.STATUS_OK) -> AckMessage:
    ack = AckMessage()
    ack.code = code
    ack.headers.message_id = message_id
    ack.headers.content_type = Headers.CONTENT_TYPE_APPLICATION_JSON
    ack.message = "OK" if code == AckMessage.STATUS_OK else "bad frame"
    ack.data = {"response": {}}
    return ack


class _Callback(CallbackHandler):
    """Acknowledges first; the gateway does not wait for the database or DingTalk's API."""

    def __init__(self, runner: StreamRunner, work: Work) -> None:
        super().__init__()
        self.runner, self.work = runner, work

    async def raw_process(self, callback_message: CallbackMessage) -> AckMessage:
        if isinstance(callback_message.data, dict):
            self.runner.submit(self.work, callback_message.data)
        return _ack(callback_message.headers.message_id)


class _Events(EventHandler):
    def __init__(self, runner: StreamRunner, work: Work) -> None:
        super().__init__()
        self.runner, self.work = runner, work

    async def raw_process(self, event_message: EventMessage) -> AckMessage:
        data = event_message.data if isinstance(event_message.data, dict) else {}
        self.runner.submit(self.work, {"EventType": event_message.headers.event_type, **data})
        return _ack(event_message.headers.message_id)
