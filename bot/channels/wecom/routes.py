"""`GET|POST /wecom/callback`: size limit, envelope, signature, time window; then the channel decides.

Every refusal is an empty response with its status and at most one log line a minute per
reason, never with the payload: WeCom retries non-200s, and strangers learn nothing.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol
from urllib.parse import parse_qsl

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.background import BackgroundTask
from starlette.types import Receive, Scope, Send

from bot.channels.wecom.crypto import CallbackCrypto, Rejected, parse_xml
from bot.offload import offload

log = logging.getLogger("baoxiu.wecom")

MAX_BODY = 64 * 1024
LOG_EVERY = 60.0
Jobs = list[Callable[[], None]]
Clock = Callable[[], datetime]


class LogGate:
    """One log line per reason per minute: a flood of bad callbacks must not flood the logs."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.last: dict[str, float] = {}

    def note(self, what: str) -> None:
        now = self.clock().timestamp()
        if now - self.last.get(what, float("-inf")) >= LOG_EVERY:
            self.last[what] = now
            log.warning("wecom callback %s", what)

    def refuse(self, e: Rejected) -> Response:
        self.note(f"refused: {e.reason} (HTTP {e.status})")
        return Response(status_code=e.status)


class Callbacks(Protocol):
    """What the routes need of the channel (`channel.WecomChannel`)."""

    crypto: CallbackCrypto

    def on_callback(self, msg: dict[str, str], gate: LogGate) -> tuple[Response, Jobs]: ...


def make_router(channel: Callbacks, clock: Clock) -> APIRouter:
    router = APIRouter(tags=["wecom"])
    gate = LogGate(clock)

    @router.get("/wecom/callback", include_in_schema=False)
    def verify(request: Request) -> Response:
        try:
            query = _need(request.query_params, "msg_signature", "timestamp", "nonce", "echostr")
            channel.crypto.check_time(query["timestamp"], clock().timestamp())
            plain = channel.crypto.open(query["msg_signature"], query["timestamp"], query["nonce"],
                                        query["echostr"])
        except Rejected as e:
            return gate.refuse(e)
        # The bare plaintext: no quotes (JSON), no BOM, no newline.
        return PlainTextResponse(plain)

    # A bare ASGI route, not a FastAPI one: nothing of it is declared to validate, and the app calls
    # it ahead of the framework's per-request layers (bot.app: every message comes this way).
    router.add_route("/wecom/callback", Receiver(channel, clock, gate),  # type: ignore[arg-type]  # an ASGI app routes too
                     methods=["POST"], include_in_schema=False)
    return router


class Receiver:
    """POST /wecom/callback as an ASGI app: the body and query read straight off the request,
    the work on a callback thread (bot.offload), the answer (and any work after it) sent back."""

    def __init__(self, channel: Callbacks, clock: Clock, gate: LogGate) -> None:
        self.channel, self.clock, self.gate = channel, clock, gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await _read_body(scope, receive)
        except Rejected as e:
            await self.gate.refuse(e)(scope, receive, send)
            return
        # As the framework reads a query (its QueryParams), the last of a repeated name winning.
        params = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        response, jobs = await offload(_process, self.channel, self.clock, self.gate, params, body)
        if jobs:
            response.background = BackgroundTasks([BackgroundTask(_quietly, job) for job in jobs])
        await response(scope, receive, send)


def _process(channel: Callbacks, clock: Clock, gate: LogGate, params: Mapping[str, str],
             body: bytes) -> tuple[Response, Jobs]:
    try:
        query = _need(params, "msg_signature", "timestamp", "nonce")
        channel.crypto.check_time(query["timestamp"], clock().timestamp())
        encrypt = parse_xml(body).get("Encrypt", "").strip()
        if not encrypt:
            raise Rejected(400, "no Encrypt")
        msg = parse_xml(channel.crypto.open(query["msg_signature"], query["timestamp"], query["nonce"], encrypt))
    except Rejected as e:
        return gate.refuse(e), []
    try:
        return channel.on_callback(msg, gate)
    except Exception as e:  # a 500 makes WeCom retry; the dedup row keeps that safe
        log.error("wecom callback failed: %s", type(e).__name__)
        return Response(status_code=500), []


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY:
            raise Rejected(413, "body too large")
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Rejected(400, "client went away")   # nothing was read to act on; nobody hears the answer
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise Rejected(413, "body too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _need(params: Mapping[str, str], *names: str) -> dict[str, str]:
    values = {name: params.get(name, "") for name in names}
    if not all(values.values()):
        raise Rejected(400, "missing query parameter")
    return values


def _quietly(job: Callable[[], None]) -> None:
    """Background work after the answer; a failure is the next tick's to retry, never a traceback out."""
    try:
        job()
    except Exception as e:
        log.error("wecom background job failed: %s", type(e).__name__)
