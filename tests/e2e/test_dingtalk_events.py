"""DingTalk event subscription (POST /dingtalk/events): the encrypted envelope and org changes."""
from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.bootstrap import Desk
from domain.ticket import State
from storage.tables import StaffRow, TechnicianRow
from tests.conftest import FakeClock
from tests.e2e.test_dingtalk_http import (  # noqa: F401  (fixtures)
    client, fake, file_for_a_caller, offer_for, post, say, ticket_row, userid_of)
from tests.fakes.dingtalk import APP_KEY, CORP_ID, FakeDingtalk

EVENTS = "/dingtalk/events"


def push(client: TestClient, fake: FakeDingtalk, event: dict[str, Any], owner_key: str = APP_KEY) -> dict[str, Any]:
    query, body = fake.event(event, owner_key=owner_key)
    # DingTalk counts an answer slower than 1.5 s as a failed push; the route answers before the work
    # (a background task), which a wall-clock assertion here could only check flakily.
    response = client.post(EVENTS, params=query, json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"msg_signature", "timeStamp", "nonce", "encrypt"}
    assert answer["timeStamp"] == query["timestamp"] and answer["nonce"] == query["nonce"]
    assert fake.event_answer(answer, owner_key) == "success"
    return answer  # type: ignore[no-any-return]


def test_check_url_is_answered_with_the_encrypted_success(fake: FakeDingtalk, client: TestClient) -> None:
    push(client, fake, {"EventType": "check_url"})


def test_the_corp_id_is_accepted_as_the_owner_key_too(fake: FakeDingtalk, client: TestClient) -> None:
    push(client, fake, {"EventType": "check_url"}, owner_key=CORP_ID)


def test_the_other_spellings_of_the_query_names_are_accepted(fake: FakeDingtalk, client: TestClient) -> None:
    query, body = fake.event({"EventType": "check_url"})
    params = {"signature": query["msg_signature"], "timeStamp": query["timestamp"], "nonce": query["nonce"]}
    response = client.post(EVENTS, params=params, json=body)
    assert response.status_code == 200 and fake.event_answer(response.json()) == "success"


def test_an_envelope_not_from_dingtalk_is_refused_with_403(fake: FakeDingtalk, client: TestClient) -> None:
    for case in ("wrong signature", "another app", "no query"):
        query, body = fake.event({"EventType": "check_url"},
                                 owner_key="dingsomeoneelse" if case == "another app" else APP_KEY)
        if case == "wrong signature":
            query["nonce"] += "x"
        response = client.post(EVENTS, params={} if case == "no query" else query, json=body)
        assert response.status_code == 403, case


def test_a_malformed_envelope_is_refused_with_400(fake: FakeDingtalk, client: TestClient) -> None:
    query, _ = fake.event({"EventType": "check_url"})
    for body in (b"{", b"[]", b'{"encrypt": 5}', b'{"encrypt": ""}'):
        assert client.post(EVENTS, params=query, content=body).status_code == 400, body


def test_an_envelope_over_64_kb_is_refused_with_413(fake: FakeDingtalk, client: TestClient) -> None:
    query, body = fake.event({"EventType": "check_url", "pad": "x" * 70_000})
    assert client.post(EVENTS, params=query, json=body).status_code == 413


def test_a_technician_who_leaves_gets_no_offers_and_their_jobs_go_back_to_dispatch(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    number = file_for_a_caller(client, fake)
    leaver_id = ticket_row(desk).assignee_id or ""
    leaver = userid_of(desk, leaver_id)
    post(client, fake, fake.tap(offer_for(fake, leaver), "接单"))
    assert ticket_row(desk).state is State.ACCEPTED

    push(client, fake, {"EventType": "user_leave_org", "UserId": [leaver], "CorpId": CORP_ID,
                        "TimeStamp": str(int(clock().timestamp() * 1000))})
    with desk.uow() as uow:
        assert uow.session.get(TechnicianRow, leaver_id).active is False  # type: ignore[union-attr]
    ticket = ticket_row(desk)
    assert ticket.state is State.ASSIGNED and ticket.assignee_id not in (None, leaver_id)
    assert leaver_id in ticket.declined
    successor = userid_of(desk, ticket.assignee_id or "")
    assert number in offer_for(fake, successor).text
    assert leaver not in caplog.text                      # the decrypted event is never logged

    say(client, fake, "代客报修")
    for text in ("客厅地暖不热", "滨江壹号 5栋1单元1203", "13912345679", "确认"):
        say(client, fake, text)
    assert ticket_row(desk).assignee_id != leaver_id


def test_staff_who_leave_are_deactivated_and_come_back_when_they_rejoin(
        desk: Desk, fake: FakeDingtalk, client: TestClient) -> None:
    push(client, fake, {"EventType": "user_leave_org", "UserId": ["053612200362"]})
    with desk.uow() as uow:
        assert uow.session.scalars(select(StaffRow.active).where(StaffRow.id == "D02")).one() is False
    push(client, fake, {"EventType": "user_add_org", "UserId": ["053612200362"]})
    with desk.uow() as uow:
        assert uow.session.scalars(select(StaffRow.active).where(StaffRow.id == "D02")).one() is True


def test_other_events_are_answered_and_ignored(desk: Desk, fake: FakeDingtalk, client: TestClient) -> None:
    push(client, fake, {"EventType": "bpms_task_change", "processInstanceId": json.dumps({"a": 1})})
    push(client, fake, {"EventType": "user_leave_org", "UserId": "not-a-list-member"})


def test_an_event_older_than_the_sign_window_is_refused_and_changes_nothing(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    query, body = fake.event({"EventType": "user_leave_org", "UserId": ["053612207728"]})
    clock.advance(days=30)                                # the same push, replayed a month later
    assert client.post(EVENTS, params=query, json=body).status_code == 403
    clock.advance(days=-30, hours=1, minutes=1)           # or one minute past the hour
    assert client.post(EVENTS, params=query, json=body).status_code == 403
    with desk.uow() as uow:
        assert uow.session.get(TechnicianRow, "T01").active is True  # type: ignore[union-attr]
    clock.advance(minutes=-2)                             # inside the hour it is still DingTalk's
    assert client.post(EVENTS, params=query, json=body).status_code == 200
    with desk.uow() as uow:
        assert uow.session.get(TechnicianRow, "T01").active is False  # type: ignore[union-attr]
