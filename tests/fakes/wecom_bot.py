"""A fake WeCom AI bot long-connection server on 127.0.0.1, speaking the documented frames.

It checks the subscribe (bot_id and secret), answers every command with
`{"headers": {"req_id"}, "errcode", "errmsg"}`, keeps one live connection per bot (a second
subscribe sends the first a `disconnected_event` and closes it, as WeCom does), refuses
template cards in groups and a card update that is late, repeated or for no click, and
records what the bot sent. Tests push message and click callbacks to the live connection.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import websockets

from bot.channels.wecom_bot.settings import WecomBotSettings

BOT_ID, SECRET = "aibAbc123BaoxiuBot", "long-connection-secret-0123456789"
WAIT = 10.0


@dataclass
class Sent:
    chatid: str
    chat_type: int
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body.get("msgtype"))

    @property
    def text(self) -> str:
        if self.kind == "markdown":
            return str(self.body["markdown"]["content"])
        if self.kind == "template_card":
            card = self.body["template_card"]
            return "\n".join([card["main_title"]["title"], card.get("sub_title_text", "")]).strip()
        return ""

    @property
    def buttons(self) -> list[tuple[str, str]]:
        if self.kind != "template_card":
            return []
        return [(b["text"], b["key"]) for b in self.body["template_card"]["button_list"]]


@dataclass
class Conn:
    number: int
    ws: Any
    subscribed: bool = False
    kicked: bool = False
    frames: list[dict[str, Any]] = field(default_factory=list)


class FakeWecomBot:
    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.updates: list[dict[str, Any]] = []          # card updates: {"req_id", "card"}
        self.uploads: dict[str, bytes] = {}
        self.welcomes: list[dict[str, Any]] = []
        self.connections: list[Conn] = []
        self.live: Conn | None = None
        self._clicks: set[str] = set()        # req_ids of events pushed: those may be answered once
        self._answered: set[str] = set()
        self._tasks: set[str] = set()
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def configure(self, settings: WecomBotSettings) -> None:
        settings.enabled, settings.bot_id, settings.secret, settings.ws_url = True, BOT_ID, SECRET, self.url

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    # --- the server ----------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        async def listen() -> Any:
            return await websockets.serve(self._serve, "127.0.0.1", 0, close_timeout=1)
        self._server = self._loop.run_until_complete(listen())
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, ws: Any) -> None:
        conn = Conn(len(self.connections) + 1, ws)
        with self._cond:
            self.connections.append(conn)
        try:
            async for raw in ws:
                frame = json.loads(raw)
                conn.frames.append(frame)
                await ws.send(json.dumps(await self._answer(conn, frame), ensure_ascii=False))
                with self._cond:
                    self._cond.notify_all()
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            with self._cond:
                if self.live is conn:
                    self.live = None
                self._cond.notify_all()

    async def _answer(self, conn: Conn, frame: dict[str, Any]) -> dict[str, Any]:
        req_id, cmd, body = frame["headers"]["req_id"], frame.get("cmd"), frame.get("body") or {}
        if cmd == "aibot_subscribe":
            if body != {"bot_id": BOT_ID, "secret": SECRET}:
                return _answer(req_id, 40001, "invalid bot_id or secret")
            old = self.live
            conn.subscribed, self.live = True, conn
            if old is not None and old is not conn:
                old.kicked = True
                await old.ws.send(json.dumps(self._event(old, "disconnected_event")))
                await old.ws.close()
            return _answer(req_id)
        if not conn.subscribed:
            return _answer(req_id, 40001, "not subscribed")
        if cmd == "ping":
            return _answer(req_id)
        if cmd == "aibot_send_msg":
            return self._send(req_id, body)
        if cmd == "aibot_respond_update_msg":
            if req_id not in self._clicks or req_id in self._answered or body.get("response_type") != "update_template_card":
                return _answer(req_id, 846608, "no click to answer, or answered already")
            self._answered.add(req_id)
            with self._cond:
                self.updates.append({"req_id": req_id, "card": body["template_card"]})
            return _answer(req_id)
        if cmd == "aibot_respond_welcome_msg":
            if req_id not in self._clicks or req_id in self._answered:
                return _answer(req_id, 846608, "no event to answer, or answered already")
            self._answered.add(req_id)
            with self._cond:
                self.welcomes.append(body)
            return _answer(req_id)
        if cmd == "aibot_upload_media_init":
            upload_id = f"up{next(self._ids)}"
            self.uploads[upload_id] = b""
            return {**_answer(req_id), "body": {"upload_id": upload_id}}
        if cmd == "aibot_upload_media_chunk":
            import base64
            self.uploads[body["upload_id"]] += base64.b64decode(body["base64_data"])
            return _answer(req_id)
        if cmd == "aibot_upload_media_finish":
            return {**_answer(req_id), "body": {"type": "file", "media_id": f"media-{body['upload_id']}"}}
        return _answer(req_id, 40008, "unknown cmd")

    def _send(self, req_id: str, body: dict[str, Any]) -> dict[str, Any]:
        kind = body.get("msgtype")
        if kind == "template_card":
            if body.get("chat_type") != 1:
                return _answer(req_id, 40058, "template_card only in single chats")
            task = body["template_card"]["task_id"]
            if task in self._tasks:
                return _answer(req_id, 40058, "task_id exists")
            self._tasks.add(task)
        with self._cond:
            self.sent.append(Sent(body["chatid"], body.get("chat_type", 0), body))
        return _answer(req_id)

    def _event(self, conn: Conn, eventtype: str, **extra: Any) -> dict[str, Any]:
        req_id = f"ev{next(self._ids)}"
        return {"cmd": "aibot_event_callback", "headers": {"req_id": req_id},
                "body": {"msgid": f"msg{next(self._ids)}", "create_time": int(time.time()), "aibotid": BOT_ID,
                         "msgtype": "event", "event": {"eventtype": eventtype, **extra}}}

    # --- what tests push ---------------------------------------------------------------

    def message(self, text: str, sender: str, group: str | None = None, msgid: str | None = None,
                kind: str = "text") -> dict[str, Any]:
        body: dict[str, Any] = {"msgid": msgid or f"msg{next(self._ids)}", "aibotid": BOT_ID,
                                "chattype": "group" if group else "single", "from": {"userid": sender},
                                "msgtype": kind}
        if group:
            body["chatid"] = group
            text = "@报修助手 " + text
        if kind == "text":
            body["text"] = {"content": text}
        else:
            body[kind] = {"url": "https://example.invalid/x", "aeskey": "k"}
        return {"cmd": "aibot_msg_callback", "headers": {"req_id": f"req{next(self._ids)}"}, "body": body}

    def click(self, card: Sent, label: str, user: str) -> dict[str, Any]:
        key = dict(card.buttons)[label]
        frame = self._event(Conn(0, None), "template_card_event", template_card_event={
            "card_type": "button_interaction", "event_key": key, "task_id": card.body["template_card"]["task_id"]})
        frame["body"].update({"from": {"userid": user}, "chattype": "single"})
        return frame

    def enter_chat(self, user: str) -> dict[str, Any]:
        frame = self._event(Conn(0, None), "enter_chat")
        frame["body"].update({"from": {"userid": user}, "chattype": "single"})
        return frame

    def push(self, frame: dict[str, Any]) -> None:
        live = self.wait(lambda: self.live)
        if frame.get("cmd") == "aibot_event_callback":
            self._clicks.add(frame["headers"]["req_id"])
        asyncio.run_coroutine_threadsafe(live.ws.send(json.dumps(frame, ensure_ascii=False)), self._loop).result(5)

    # --- what tests look at ------------------------------------------------------------

    def wait(self, ready: Any, timeout: float = WAIT) -> Any:
        with self._cond:
            found = self._cond.wait_for(ready, timeout)
        assert found, "the fake WeCom never saw it"
        return found

    def to(self, chatid: str) -> list[Sent]:
        with self._cond:
            return [s for s in self.sent if s.chatid == chatid]

    def subscribed(self) -> list[Conn]:
        with self._cond:
            return [c for c in self.connections if c.subscribed]


def _answer(req_id: str, code: int = 0, msg: str = "ok") -> dict[str, Any]:
    return {"headers": {"req_id": req_id}, "errcode": code, "errmsg": msg}
