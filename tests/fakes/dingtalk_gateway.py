"""The Stream gateway half of the DingTalk fake: a websocket on 127.0.0.1 that pushes frames.

`/v1.0/gateway/connections/open` (served by FakeDingtalk) hands out a ticket and this socket's
address; the socket refuses unknown tickets, pushes CALLBACK / EVENT / SYSTEM frames shaped as
the SDK reads them, and records every ack by messageId so tests can check each frame was acked.
"""
from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

# A ceiling, never a pause: every wait returns the moment the fake (or the runner) signals what it
# waits for. Generous, so that a loaded machine makes a test slower rather than failing it.
WAIT = 60.0


class FakeGateway:
    def __init__(self, app_key: str) -> None:
        self.app_key = app_key
        self.tickets: set[str] = set()
        self.subscriptions: list[list[dict[str, Any]]] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.pushed: list[str] = []
        self.connections = 0
        self.refused = 0
        self._current: ServerConnection | None = None
        self._changed = threading.Condition()
        self.server = serve(self._serve, "127.0.0.1", 0, logger=_Quiet(logging.getLogger("tests.fake.gateway")))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/connect"

    def open(self, subscriptions: list[dict[str, Any]]) -> dict[str, str]:
        ticket = uuid.uuid4().hex
        self.tickets.add(ticket)
        self.subscriptions.append(subscriptions)
        return {"endpoint": self.url, "ticket": ticket}

    def stop(self) -> None:
        self.drop()
        self.server.shutdown()

    # --- what tests do -------------------------------------------------------------

    def push(self, topic: str, data: dict[str, Any], kind: str = "CALLBACK",
             headers: dict[str, str] | None = None) -> str:
        """Send one frame to the connected client; returns its messageId."""
        message_id = uuid.uuid4().hex
        frame = {"specVersion": "1.0", "type": kind, "data": json.dumps(data, ensure_ascii=False),
                 "headers": {"appId": self.app_key, "connectionId": "conn-1", "contentType": "application/json",
                             "messageId": message_id, "time": "1700000000000", "topic": topic, **(headers or {})}}
        self.send_raw(json.dumps(frame, ensure_ascii=False))
        self.pushed.append(message_id)
        return message_id

    def send_raw(self, text: str) -> None:
        connection = self.wait_connected(max(self.connections, 1))
        connection.send(text)

    def wait_connected(self, count: int, timeout: float = WAIT) -> ServerConnection:
        """The connection once at least `count` connections have been made."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.connections >= count and self._current is not None, timeout):
                raise AssertionError(f"no stream connection #{count} within {timeout}s")
            assert self._current is not None
            return self._current

    def wait_ack(self, message_id: str, timeout: float = WAIT) -> dict[str, Any]:
        with self._changed:
            if not self._changed.wait_for(lambda: message_id in self.acks, timeout):
                raise AssertionError(f"frame {message_id} not acknowledged within {timeout}s")
            return self.acks[message_id]

    def unacked(self) -> list[str]:
        return [m for m in self.pushed if m not in self.acks]

    def drop(self) -> None:
        """The network goes away under the client."""
        with self._changed:
            current, self._current = self._current, None
        if current is not None:
            current.close()

    # --- the socket ----------------------------------------------------------------------

    def _serve(self, ws: ServerConnection) -> None:
        ticket = parse_qs(urlsplit(ws.request.path if ws.request else "").query).get("ticket", [""])[0]
        if ticket not in self.tickets:
            self.refused += 1
            ws.close(4001, "invalid ticket")
            return
        self.tickets.discard(ticket)  # a ticket opens one connection
        with self._changed:
            self._current = ws
            self.connections += 1
            self._changed.notify_all()
        try:
            for raw in ws:
                self._record(raw)
        except ConnectionClosed:
            pass

    def _record(self, raw: str | bytes) -> None:
        ack = json.loads(raw)
        message_id = ack.get("headers", {}).get("messageId")
        if not isinstance(ack.get("code"), int) or not isinstance(ack.get("data"), str) or not message_id:
            raise AssertionError(f"not an ack frame: {str(raw)[:200]}")
        with self._changed:
            self.acks[message_id] = ack
            self._changed.notify_all()


class _Quiet(logging.LoggerAdapter):  # type: ignore[type-arg]
    """DingTalk's side of the socket does not write frames into our logs either."""

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)
