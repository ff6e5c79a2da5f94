"""A faithful local WeCom (PLATFORMS.md §5): its API on 127.0.0.1, and its callbacks into our app.

`FakeWecom` (tests/fakes/wecom_api.py) serves the API with the platform's rules and records what
it took. `Callbacks` builds real encrypted callbacks with wechatpy's crypto (tied to the
published vectors by the tests) and posts them the way WeCom does: up to three retries on a
non-200 or an answer slower than 5 s on the fake's clock.
"""
from __future__ import annotations

import base64
import hashlib
from xml.etree import ElementTree
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from wechatpy.enterprise.crypto import PrpCrypto

from scheduler.ports import Outlets

from tests.fakes.wecom_api import (AES_KEY, AGENT_ID, CORP_ID, KF_SECRET, OPEN_KFID, SECRET, TOKEN,  # noqa: F401
                                   FakeWecom)

KF_EVENT_TOKEN = "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR"   # each event's token starts so
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "wecom"


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """Written again here from the formula, so the fake does not borrow the app's code."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


class Callbacks:
    """WeCom's side of the callback URL: encrypted POSTs, retried like the platform, kept for replay."""

    def __init__(self, fake: FakeWecom, client: TestClient) -> None:
        self.fake, self.client = fake, client
        self.sent: list[tuple[dict[str, str], bytes]] = []
        self.attempts = 0
        self.plain: dict[str, str] = {}   # nonce -> the XML sealed with it, to judge the answer

    def seal(self, xml: str, corp_id: str = CORP_ID, token: str = TOKEN, timestamp: int | None = None,
             key: str = AES_KEY) -> tuple[dict[str, str], bytes]:
        stamp, nonce = str(int(self.fake.now()) if timestamp is None else timestamp), self.fake.next_id("n")
        encrypt = PrpCrypto(base64.b64decode(key + "=")).encrypt(xml, corp_id).decode()
        query = {"msg_signature": signature(token, stamp, nonce, encrypt), "timestamp": stamp, "nonce": nonce}
        self.plain[nonce] = xml
        body = (f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
                f"<AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>").encode()
        return query, body

    @property
    def outlets(self) -> Outlets:
        """What the running app hands the scheduler (its channels' senders, fetchers, ticks)."""
        return self.client.app.state.edges.outlets  # type: ignore[attr-defined,no-any-return]

    def post(self, query: dict[str, str], body: bytes, retries: int = 3, keep: bool = True) -> Response:
        """Any non-200, or an answer slower than 5 s (the fake's clock), is sent again: three retries in all.
        The answer taken may carry a passive reply, which reaches the member as a message would."""
        if keep:
            self.sent.append((query, body))
        for _ in range(retries + 1):
            self.attempts += 1
            started = self.fake.now()
            response = self.client.post("/wecom/callback", params=query, content=body)
            if response.status_code == 200 and self.fake.now() - started < 5:
                self._take_answer(query, response)
                break
        return response

    def _take_answer(self, query: dict[str, str], response: Response) -> None:
        """A passive reply (Doc 90241 for a card click's button; a text to a member's message) is
        checked as WeCom checks it: signed over its Encrypt, sealed with our key for our corp, addressed
        to the member who wrote. WeCom shows one reply a message: a retry's answer is the same one."""
        if not response.content:
            return
        sent = ElementTree.fromstring(self.plain.get(query.get("nonce", ""), "<xml/>"))
        try:
            envelope = ElementTree.fromstring(response.content)
        except ElementTree.ParseError:
            self.fake.violations.append(f"an answer that is not a passive reply: {response.text[:40]}")
            return
        encrypt = envelope.findtext("Encrypt", "")
        if envelope.findtext("MsgSignature") != signature(TOKEN, envelope.findtext("TimeStamp", ""),
                                                            envelope.findtext("Nonce", ""), encrypt):
            self.fake.violations.append("a passive reply with a bad signature")
            return
        reply = ElementTree.fromstring(PrpCrypto(base64.b64decode(AES_KEY + "=")).decrypt(encrypt, CORP_ID))
        if sent.findtext("MsgType") == "event" and sent.findtext("Event") == "template_card_event":
            return   # the clicked button's new text (tests/e2e/test_wecom_app.py reads it)
        if reply.findtext("MsgType") != "text" or reply.findtext("ToUserName") != sent.findtext("FromUserName") \
                or reply.findtext("FromUserName") != CORP_ID:
            self.fake.violations.append(f"a passive reply WeCom would not show: {response.text[:60]}")
            return
        user = sent.findtext("FromUserName", "")
        # WeCom tells a message by its MsgId, an event by who sent it when (Doc 90238)
        message = sent.findtext("MsgId") or f"{user}:{sent.findtext('CreateTime')}:{sent.findtext('Event')}"
        self.fake.answer(user, message, reply.findtext("Content", ""))

    def deliver(self, fixture: str, **values: Any) -> Response:
        xml = (FIXTURES / f"{fixture}.xml").read_text(encoding="utf-8").strip()
        fields = {"corp_id": CORP_ID, "agent_id": AGENT_ID, "time": int(self.fake.now()), "x": 30.2741,
                  "y": 120.1551, **values}
        return self.post(*self.seal(xml.format(**fields)))

    def text(self, user: str, content: str) -> Response:
        return self.deliver("text", user=user, content=content, msg_id=self.fake.next_id("4561"))

    def click(self, user: str, task_id: str, key: str) -> Response:
        code = self.fake.issue_code(task_id, user)
        return self.deliver("template_card_event", user=user, key=key, task_id=task_id, response_code=code)

    def kf_event(self) -> Response:
        token = self.fake.next_id(KF_EVENT_TOKEN)
        self.fake.kf_tokens[token] = self.fake.now()
        return self.deliver("kf_msg_or_event", token=token, open_kfid=OPEN_KFID)

    def customer(self, user: str, text: str = "", menu_id: str = "", media_id: str = "",
                 location: dict[str, Any] | None = None) -> Response:
        self.fake.customer_writes(user, text, menu_id, media_id, location=location)
        return self.kf_event()

    def location(self, user: str, label: str, x: float = 30.2741, y: float = 120.1551) -> Response:
        """A member shares a location in the app (Location_X is the latitude, Location_Y the longitude)."""
        return self.deliver("location", user=user, label=label, x=x, y=y, msg_id=self.fake.next_id("4562"))

    def replay(self, times: int = 3, since: int = 0) -> list[int]:
        """The callbacks sent so far (from index `since`), again, `times` over: as WeCom's retries would."""
        again = self.sent[since:]
        return [self.post(q, b, retries=0, keep=False).status_code for _ in range(times) for q, b in again]


def enable(desk: Any, fake: FakeWecom) -> None:
    """Switch WeCom on for a test desk, pointed at the fake; before create_app (it builds the channels)."""
    w = desk.settings.wecom
    w.enabled, w.corp_id, w.agent_id, w.secret, w.kf_secret = True, CORP_ID, AGENT_ID, SECRET, KF_SECRET
    w.token, w.encoding_aes_key, w.api_base_url, w.kf_open_kfid = TOKEN, AES_KEY, fake.base_url, OPEN_KFID


@pytest.fixture
def fake(clock: Callable[[], datetime]) -> Iterator[FakeWecom]:
    f = FakeWecom(clock)
    yield f
    f.stop()


@pytest.fixture
def wecom(desk: Any, fake: FakeWecom) -> Iterator[Callbacks]:
    """The app with WeCom on, behind a TestClient (lifespan included), and WeCom's side of it."""
    from bot.app import create_app

    enable(desk, fake)
    with TestClient(create_app(desk)) as client:
        yield Callbacks(fake, client)
