"""HTTP callback mode: POST /dingtalk/robot (robot messages) and POST /dingtalk/events (事件订阅).

Both answer fast: the robot message is handled and its replies queued in the request (a
transient database or store failure answers 503 with nothing stored), the delivery runs after
the answer; an event is decrypted and answered with the encrypted
`success` at once, its work runs after the answer. Nothing a person wrote is logged.
"""
from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse, Response

from bot import safe_json
from bot.bootstrap import Desk
from bot.channels.dingtalk.crypto import EventCrypto, EventRefused, EventUnreadable, fresh, robot_sign_ok
from bot.channels.dingtalk.events import on_event
from bot.channels.dingtalk.inbound import Malformed, deliver_quietly, parse, receive
from bot.channels.dingtalk.settings import DingtalkSettings
from bot.offload import offload
from handlers.router import transient
from scheduler.outbound import DeliverNow

log = logging.getLogger("baoxiu.dingtalk")
MAX_BODY = 64 * 1024


class TooLarge(Exception):
    pass


def build_router(desk: Desk, settings: DingtalkSettings, events: EventCrypto | None,
                 deliver_now: DeliverNow) -> APIRouter:
    router = APIRouter(prefix="/dingtalk", tags=["dingtalk"])

    @router.post("/robot", summary="DingTalk robot callback (HTTP mode)")
    async def robot(request: Request, background: BackgroundTasks) -> Response:
        now_ms = int(desk.clock().timestamp() * 1000)
        if not robot_sign_ok(request.headers.get("timestamp"), request.headers.get("sign"),
                             settings.app_secret, now_ms, settings.sign_window):
            return _status(403, "bad or stale sign")
        try:
            message = parse(safe_json.loads(await _body(request)))
        except TooLarge:
            return _status(413, "body too large")
        except (ValueError, Malformed) as e:  # JSONDecodeError is a ValueError
            log.info("DingTalk robot callback refused: %s", _field(e))
            return _status(400, "malformed")
        if message is None:
            return JSONResponse({"msgtype": "empty"})  # a message type we do not handle
        try:
            await offload(receive, desk, message)
        except Exception as e:
            if not transient(e):
                raise
            # Nothing of the failed part was recorded: a non-200 lets DingTalk deliver it again.
            return _status(503, "try again later")
        background.add_task(deliver_quietly, deliver_now)
        return JSONResponse({"msgtype": "empty"})

    @router.post("/events", summary="DingTalk event subscription (HTTP mode)")
    async def events_route(request: Request, background: BackgroundTasks) -> Response:
        if events is None:
            return _status(404, "event subscription not configured")
        q = request.query_params
        signature = q.get("msg_signature") or q.get("signature") or ""
        timestamp, nonce = q.get("timestamp") or q.get("timeStamp") or "", q.get("nonce") or ""
        # dingtalk-sdk does not look at the time; the signature covers it, so an old push
        # replayed as it was (a month-old "user left") is refused here.
        if not fresh(timestamp, int(desk.clock().timestamp() * 1000), settings.sign_window):
            return _status(403, "stale timestamp")
        try:
            encrypt = _encrypt_field(safe_json.loads(await _body(request)))
            event, owner = events.decrypt(signature, timestamp, nonce, encrypt)
        except TooLarge:
            return _status(413, "body too large")
        except EventRefused:
            return _status(403, "bad signature")
        except (ValueError, EventUnreadable):
            return _status(400, "malformed")
        if event.get("EventType") != "check_url":
            background.add_task(_run_event, desk, deliver_now, event)
        return JSONResponse(events.success(owner, timestamp, nonce))

    return router


async def _body(request: Request) -> bytes:
    """At most 64 KB, whatever Content-Length claims."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise TooLarge()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise TooLarge()
    return body


def _encrypt_field(body: Any) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("encrypt"), str) or not body["encrypt"]:
        raise ValueError("encrypt")
    return str(body["encrypt"])


def _run_event(desk: Desk, deliver_now: DeliverNow, event: dict[str, Any]) -> None:
    try:
        on_event(desk, event)
    except Exception:
        # Never the payload: it names people. The type is enough to find the failing path.
        log.exception("DingTalk event %s failed", str(event.get("EventType"))[:40])
        return
    deliver_quietly(deliver_now)  # jobs handed on are offered now, not at the next tick


def _field(error: Exception) -> str:
    """Which field was wrong, never its value."""
    return str(error)[:40] if isinstance(error, Malformed) else "not JSON"


def _status(code: int, reason: str) -> Response:
    return JSONResponse({"error": reason}, status_code=code)
