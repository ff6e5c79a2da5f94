"""/wecom/callback at the door: URL verification, and everything a stranger or a broken sender may send.

Refused: bad signature, corp id or stale timestamp (403); malformed or DOCTYPE XML (400); bodies
over 64 KB (413). Ignored: unknown types. In every case nothing is stored, the log gets at most
one line per reason a minute, and never the decrypted payload.
"""
from __future__ import annotations

import base64
import logging
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from wechatpy.enterprise.crypto import PrpCrypto

from bot.app import create_app
from bot.bootstrap import Desk
from storage.tables import InboundRow, OutboxRow
from tests.conftest import FakeClock
from tests.fakes.wecom import (AES_KEY, CORP_ID, TOKEN, Callbacks, FakeWecom, enable, fake, signature,  # noqa: F401
                               wecom)
from tests.e2e.test_wecom_flow import passive_reply
from tests.unit.test_wecom_crypto import vectors

SECRET_WORDS = "保密的报修内容13912345678"


def stored(desk: Desk) -> tuple[int, int]:
    with desk.uow() as uow:
        return (uow.session.scalar(select(func.count()).select_from(InboundRow)) or 0,
                uow.session.scalar(select(func.count()).select_from(OutboxRow)) or 0)


def text_xml(wecom: Callbacks, content: str = SECRET_WORDS, corp: str = CORP_ID) -> str:
    return (f"<xml><ToUserName><![CDATA[{corp}]]></ToUserName><FromUserName><![CDATA[someowner]]></FromUserName>"
            f"<CreateTime>{int(wecom.fake.now())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{wecom.fake.next_id('9')}</MsgId></xml>")


def echo_query(wecom: Callbacks, plain: str) -> str:
    stamp, nonce = str(int(wecom.fake.now())), "263014780"
    echostr = PrpCrypto(base64.b64decode(AES_KEY + "=")).encrypt(plain, CORP_ID).decode()
    sig = signature(TOKEN, stamp, nonce, echostr)
    return f"msg_signature={sig}&timestamp={stamp}&nonce={nonce}&echostr={quote(echostr, safe='')}"


def test_url_verification_answers_the_bare_plaintext(wecom: Callbacks) -> None:
    response = wecom.client.get("/wecom/callback?" + echo_query(wecom, "1616140317555161061"))
    assert response.status_code == 200
    assert response.content == b"1616140317555161061"
    assert response.headers["content-type"].startswith("text/plain")


def test_an_unencoded_plus_in_echostr_is_refused(wecom: Callbacks) -> None:
    query = next(q for q in (echo_query(wecom, "4" * 19) for _ in range(200)) if "%2B" in q)
    assert wecom.client.get("/wecom/callback?" + query).status_code == 200
    assert wecom.client.get("/wecom/callback?" + query.replace("%2B", "+")).status_code == 403


@pytest.mark.parametrize("v", vectors(), ids=lambda v: v["id"])
def test_the_published_vectors_pass_through_http(desk: Desk, fake: FakeWecom, clock: FakeClock,
                                                 v: dict) -> None:  # type: ignore[type-arg]
    enable(desk, fake)
    desk.settings.wecom.token, desk.settings.wecom.encoding_aes_key = v["token"], v["encoding_aes_key"]
    desk.settings.wecom.corp_id = v["receive_id"]
    q = v["verify_url"]["query"]
    clock.now = clock.now.fromtimestamp(int(q["timestamp"]), clock.now.tzinfo)
    with TestClient(create_app(desk)) as client:
        raw = v["verify_url"].get("raw_query_as_sent") or "&".join(f"{k}={quote(x, safe='')}" for k, x in q.items())
        response = client.get("/wecom/callback?" + raw)
        expected = v["verify_url"].get("expected_response_body") or v["verify_url"]["expected_response_body_observed"]
        assert (response.status_code, response.text) == (200, expected)
        post = v["decrypt_post"]
        clock.now = clock.now.fromtimestamp(int(post["query"]["timestamp"]), clock.now.tzinfo)
        answer = client.post("/wecom/callback", params=post["query"], content=post["body"].encode())
        assert answer.status_code == 200  # an unknown sender's text: handled as a new owner


def bad_posts(wecom: Callbacks) -> dict[str, tuple[int, dict[str, str], bytes]]:
    good_q, good_b = wecom.seal(text_xml(wecom))
    tampered = good_b.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[A", 1)
    resigned_q = {**good_q, "msg_signature": signature(TOKEN, good_q["timestamp"], good_q["nonce"], "A")}
    return {
        "wrong signature": (403, {**good_q, "msg_signature": "0" * 40}, good_b),
        "wrong corp id": (403, *wecom.seal(text_xml(wecom, corp="wwother"), corp_id="wwother")),
        "stale timestamp": (403, *wecom.seal(text_xml(wecom), timestamp=int(wecom.fake.now()) - 301)),
        "from the future": (403, *wecom.seal(text_xml(wecom), timestamp=int(wecom.fake.now()) + 301)),
        "tampered ciphertext": (403, good_q, tampered),
        "signed garbage": (400, resigned_q, b"<xml><Encrypt><![CDATA[A]]></Encrypt></xml>"),
        "malformed xml": (400, good_q, b"<xml><Encrypt>"),
        "doctype": (400, good_q, b'<!DOCTYPE xml [<!ENTITY e "x">]><xml><Encrypt>&e;</Encrypt></xml>'),
        "doctype inside": (400, *wecom.seal('<!DOCTYPE xml [<!ENTITY e "x">]><xml><MsgType>&e;</MsgType></xml>')),
        "no encrypt": (400, good_q, b"<xml><ToUserName>x</ToUserName></xml>"),
        "missing query": (400, {"timestamp": good_q["timestamp"]}, good_b),
        "too large": (413, good_q, b"<xml>" + b" " * (64 * 1024) + b"</xml>"),
    }


def test_bad_callbacks_are_refused_and_nothing_is_stored(desk: Desk, wecom: Callbacks,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name, (status, query, body) in bad_posts(wecom).items():
        response = wecom.client.post("/wecom/callback", params=query, content=body)
        assert (name, response.status_code, response.content) == (name, status, b"")
    assert stored(desk) == (0, 0) and wecom.fake.messages == []
    assert SECRET_WORDS not in caplog.text and "13912345678" not in caplog.text
    assert "Traceback" not in caplog.text


def test_a_body_streamed_past_the_limit_or_cut_short_is_refused_unread(desk: Desk, wecom: Callbacks) -> None:
    """No content-length to go by: the limit holds as the chunks come, and a sender gone mid-body leaves nothing."""
    query, body = wecom.seal(text_xml(wecom))
    channels = wecom.client.app.state.edges.channels  # type: ignore[attr-defined]
    receiver = next(route.endpoint for channel in channels if channel.router is not None
                    for route in channel.router.routes if "POST" in getattr(route, "methods", ()))
    chunk = {"type": "http.request", "body": b" " * 8192, "more_body": True}
    assert _asgi_post(receiver, query, [{"type": "http.request", "body": b"<xml>", "more_body": True},
                                        *[chunk] * 9]) == 413
    assert _asgi_post(receiver, query, [{"type": "http.request", "body": body[:40], "more_body": True},
                                        {"type": "http.disconnect"}]) == 400
    assert _asgi_post(receiver, query, [{"type": "http.request", "body": body, "more_body": False}]) == 200
    assert stored(desk) == (1, 1)   # only the whole one was handled


def _asgi_post(app: object, query: dict[str, str], messages: list[dict[str, object]]) -> int:
    """A POST straight to an ASGI route, its body in these messages, no content-length: the status answered."""
    import asyncio
    from urllib.parse import urlencode

    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/wecom/callback", "headers": [],
             "query_string": urlencode(query).encode()}
    asyncio.run(app(scope, receive, send))  # type: ignore[operator]
    return int(next(m["status"] for m in sent if m["type"] == "http.response.start"))  # type: ignore[call-overload]


def test_a_flood_of_bad_callbacks_logs_one_line_a_minute(wecom: Callbacks, clock: FakeClock,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    query, body = wecom.seal(text_xml(wecom))
    for _ in range(20):
        wecom.client.post("/wecom/callback", params={**query, "msg_signature": "0" * 40}, content=body)
    lines = [r for r in caplog.records if "bad signature" in r.getMessage()]
    assert len(lines) == 1
    clock.advance(seconds=61)
    query, body = wecom.seal(text_xml(wecom))
    wecom.client.post("/wecom/callback", params={**query, "msg_signature": "0" * 40}, content=body)
    assert len([r for r in caplog.records if "bad signature" in r.getMessage()]) == 2


@pytest.mark.parametrize("fixture, values", [
    ("video", {"user": "someowner", "media_id": "m1", "msg_id": "77"}),
])
def test_unknown_types_are_ignored_with_a_200(desk: Desk, wecom: Callbacks, fixture: str, values: dict) -> None:  # type: ignore[type-arg]
    assert wecom.deliver(fixture, **values).status_code == 200
    xml = (f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>"
           f"<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>30.1</Latitude></xml>")
    assert wecom.post(*wecom.seal(xml)).status_code == 200
    assert wecom.post(*wecom.seal("<xml><MsgType>mystery</MsgType></xml>")).status_code == 200
    assert stored(desk) == (0, 0)


def test_a_failing_answer_is_retried_by_wecom_and_handled_once(desk: Desk, wecom: Callbacks,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.channels.wecom import channel as module

    calls = {"n": 0}
    original = module.WecomChannel.on_callback

    def flaky(self: module.WecomChannel, msg: dict[str, str], gate: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return original(self, msg, gate)  # type: ignore[arg-type]

    monkeypatch.setattr(module.WecomChannel, "on_callback", flaky)
    response = wecom.text("someowner", "你好")
    assert response.status_code == 200 and wecom.attempts == 2
    assert stored(desk)[0] == 1
    assert len(wecom.fake.to("someowner")) == 1


def test_an_answer_slower_than_five_seconds_on_wecoms_clock_is_retried_and_handled_once(
        desk: Desk, wecom: Callbacks, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.channels.wecom import channel as module

    original, calls = module.WecomChannel.on_callback, {"n": 0}

    def slow(self: module.WecomChannel, msg: dict[str, str], gate: object) -> object:
        calls["n"] += 1
        answer = original(self, msg, gate)  # type: ignore[arg-type]
        if calls["n"] == 1:
            clock.advance(seconds=6)  # WeCom stops waiting after 5 s and sends the message again
        return answer

    monkeypatch.setattr(module.WecomChannel, "on_callback", slow)
    assert wecom.text("someowner", "你好").status_code == 200
    assert wecom.attempts == 2 and stored(desk)[0] == 1
    assert len(wecom.fake.to("someowner")) == 1


def test_a_members_message_is_answered_in_the_callback_itself_and_nothing_else_carries_a_body(
        desk: Desk, wecom: Callbacks, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reply the member's message gets is its callback's answer (a passive text reply, sealed and
    signed as WeCom checks it), kept in the outbox as said and never sent through the API; a
    微信客服 notification and a voice message (answered through the API) get an empty 200."""
    reply = passive_reply(wecom.text("wangjianguo", "帮助").text)
    assert (reply["MsgType"], reply["ToUserName"]) == ("text", "wangjianguo")
    assert "师傅" in reply["Content"]
    assert [m["body"]["text"]["content"] for m in wecom.fake.to("wangjianguo")] == [reply["Content"]]
    assert not [p for p, _ in wecom.fake.requests if p == "/cgi-bin/message/send"]
    with desk.uow() as uow:
        assert uow.session.scalars(select(OutboxRow.status)).all() == ["answered"]
    assert wecom.kf_event().content == b""
    assert wecom.deliver("voice", user="wangjianguo", media_id="v1", msg_id="9001").content == b""
    assert wecom.fake.violations == []

    from bot.channels.wecom import channel as module
    from fastapi.responses import Response

    monkeypatch.setattr(module.WecomChannel, "on_callback", lambda self, msg, gate: (Response("success"), []))
    wecom.text("wangjianguo", "帮助")
    assert wecom.fake.violations == ["an answer that is not a passive reply: success"]
