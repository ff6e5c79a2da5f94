"""What DingTalk's robot callback refuses or ignores: nothing stored, nothing sent, nothing leaked."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.bootstrap import Desk
from storage.tables import InboundRow, OutboxRow, TicketRow
from tests.conftest import FakeClock
from tests.e2e.test_dingtalk_http import DESK, GROUP, client, fake, post, say  # noqa: F401  (fixtures)
from tests.fakes.dingtalk import APP_SECRET, FakeDingtalk

ROBOT = "/dingtalk/robot"


def stored(desk: Desk) -> tuple[int, int, int]:
    with desk.uow() as uow:
        return tuple(uow.session.scalar(select(func.count()).select_from(t)) or 0  # type: ignore[return-value]
                     for t in (InboundRow, TicketRow, OutboxRow))


def timestamp_only(fake: FakeDingtalk) -> dict[str, str]:
    """The older 免登 HMAC, without "\\n" + secret: must not pass for the robot sign."""
    ts = fake.headers()["timestamp"]
    sign = base64.b64encode(hmac.new(APP_SECRET.encode(), ts.encode(), hashlib.sha256).digest()).decode()
    return {"timestamp": ts, "sign": sign}


def test_bad_or_stale_signs_are_refused_with_403(desk: Desk, fake: FakeDingtalk, client: TestClient,
                                                 clock: FakeClock) -> None:
    cases = {
        "wrong secret": fake.headers(secret="not-the-secret"),
        "stale": fake.headers(at=clock() - timedelta(hours=1, seconds=1)),
        "from the future": fake.headers(at=clock() + timedelta(hours=1, seconds=1)),
        "no headers": {},
        "timestamp-only hmac": timestamp_only(fake),
        "sign of another time": {**fake.headers(), "timestamp": str(int(clock().timestamp() * 1000) + 1)},
    }
    for case, headers in cases.items():
        response = client.post(ROBOT, json=fake.message("代客报修", group=GROUP), headers=headers)
        assert response.status_code == 403, case
    assert stored(desk) == (0, 0, 0) and not fake.sent


def test_an_hour_old_sign_is_still_taken(desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    headers = fake.headers(at=clock() - timedelta(minutes=59))
    assert client.post(ROBOT, json=fake.message("帮助", group=GROUP), headers=headers).status_code == 200


def test_malformed_json_is_refused_with_400(desk: Desk, fake: FakeDingtalk, client: TestClient) -> None:
    response = client.post(ROBOT, content=b'{"msgtype": "text", ', headers=fake.headers())
    assert response.status_code == 400
    assert stored(desk) == (0, 0, 0)


WRONG = [
    {"msgId": 12345}, {"msgId": ""}, {"text": "代客报修"}, {"text": {"content": ["代客报修"]}},
    {"conversationType": 2}, {"senderStaffId": ["053612200117"]}, {"senderStaffId": None, "senderId": None},
    {"sessionWebhookExpiredTime": "tomorrow"}, {"sessionWebhookExpiredTime": True},
    {"msgtype": "picture", "content": {"downloadCode": 7}}, {"msgtype": "richText", "content": {"richText": "x"}},
    {"msgtype": None}, {"msgId": "m" * 101},
]


def test_wrong_types_in_fields_are_refused_with_400(desk: Desk, fake: FakeDingtalk, client: TestClient) -> None:
    for change in WRONG:
        body = {**fake.message("代客报修", group=GROUP), **change}
        assert client.post(ROBOT, json=body, headers=fake.headers()).status_code == 400, change
    for other in ([], "text", 42, None):
        assert client.post(ROBOT, content=json.dumps(other).encode(), headers=fake.headers()).status_code == 400
    assert stored(desk) == (0, 0, 0) and not fake.sent


def test_bodies_over_64_kb_are_refused_with_413_whatever_the_length_header_says(
        desk: Desk, fake: FakeDingtalk, client: TestClient) -> None:
    big = json.dumps(fake.message("漏" * 30_000, group=GROUP)).encode()
    assert len(big) > 64 * 1024
    assert client.post(ROBOT, content=big, headers=fake.headers()).status_code == 413
    chunked = client.post(ROBOT, content=iter([big[:40_000], big[40_000:]]), headers=fake.headers())
    assert chunked.status_code == 413
    assert stored(desk) == (0, 0, 0)


def test_an_unknown_message_type_is_answered_and_ignored(desk: Desk, fake: FakeDingtalk, client: TestClient) -> None:
    body = {**fake.message(group=GROUP), "msgtype": "audio", "content": {"duration": 4, "downloadCode": "x"}}
    response = client.post(ROBOT, json=body, headers=fake.headers())
    assert response.status_code == 200 and response.json() == {"msgtype": "empty"}
    assert stored(desk) == (0, 0, 0) and not fake.sent


def test_a_replayed_msg_id_gets_200_and_changes_nothing(desk: Desk, fake: FakeDingtalk, client: TestClient) -> None:
    body = say(client, fake, "代客报修")
    before, sent = stored(desk), len(fake.sent)
    replay = {**body, "text": {"content": " 待派单"}}       # the sign does not cover the body
    post(client, fake, replay)
    post(client, fake, body)
    assert stored(desk) == before and len(fake.sent) == sent


def test_a_webhook_on_another_host_is_never_used(desk: Desk, fake: FakeDingtalk, client: TestClient) -> None:
    body = {**fake.message("帮助", sender=DESK), "sessionWebhook": "http://127.0.0.2:9/robot/sendBySession?x=1"}
    post(client, fake, body)
    assert [s.via for s in fake.to(DESK)] == ["batch"]


def test_nothing_a_person_wrote_reaches_the_logs(desk: Desk, fake: FakeDingtalk, client: TestClient,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "翠湖花园3栋2单元501 13912345678"
    say(client, fake, "代客报修")
    say(client, fake, secret)
    client.post(ROBOT, content=json.dumps({"msgtype": "text", "text": {"content": secret}}).encode(),
                headers=fake.headers())
    client.post(ROBOT, content=("{" + secret).encode(), headers=fake.headers())
    assert "13912345678" not in caplog.text and "翠湖花园" not in caplog.text


NESTED = b"[" * 20_000 + b"]" * 20_000   # 40 KB: under the body limit, far over any real nesting


@pytest.mark.parametrize("deep", [NESTED, b'{"text": ' * 4_000 + b"1" + b"}" * 4_000])
def test_deeply_nested_json_is_refused_with_400_on_both_endpoints(desk: Desk, fake: FakeDingtalk,
                                                                  client: TestClient, deep: bytes) -> None:
    robot = client.post(ROBOT, content=deep, headers={**fake.headers(), "content-type": "application/json"})
    query, _ = fake.event({"EventType": "check_url"})   # a fresh timestamp is all the events route needs first
    events = client.post("/dingtalk/events", params=query, content=deep,
                         headers={"content-type": "application/json"})
    assert (robot.status_code, events.status_code) == (400, 400)
    assert stored(desk) == (0, 0, 0) and not fake.sent


def test_nesting_as_deep_as_a_real_card_callback_is_still_read(desk: Desk, fake: FakeDingtalk,
                                                               client: TestClient) -> None:
    body = fake.message("帮助", group=GROUP)
    body["extra"] = {"a": [[{"b": [1, {"c": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]}]]}
    assert client.post(ROBOT, json=body, headers=fake.headers()).status_code == 200
