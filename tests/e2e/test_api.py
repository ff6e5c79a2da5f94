"""The REST API /api/v1 and /healthz, as another system or a web form sees it.

Runs on SQLite, and on PostgreSQL (+ Redis) when BAOXIU_TEST_DATABASE_URL is set:
the `desk` fixture parametrizes over the backends.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.bootstrap import Desk
from bot.tokens import create_token
from storage.db import make_engine
from tests.conftest import Chat, FakeClock

PHONE = "13800138000"
NUMBER = re.compile(r"^BX\d{8}-\d{4}$")
REPAIR = {"phone": PHONE, "description": "厨房水龙头漏水了", "community": "翠湖花园", "building": "3",
          "unit": "2", "room": "501", "product_sku": "FC-K100", "customer_name": "赵女士"}


@pytest.fixture
def client(desk: Desk) -> Iterator[TestClient]:
    with TestClient(create_app(desk)) as c:
        yield c


@pytest.fixture
def token(desk: Desk, clock: FakeClock) -> str:
    with desk.uow() as uow:
        secret = create_token(uow.session, "webform", clock(), ("admin",))
        uow.commit()
    return secret


@pytest.fixture
def api(client: TestClient, token: str) -> TestClient:
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def create(api: TestClient, **changes: Any) -> dict[str, Any]:
    response = api.post("/api/v1/tickets", json={**REPAIR, **changes})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


# --- health and docs ---------------------------------------------------------------


def test_health_reports_the_database_and_the_store_as_up(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "database": True, "store": True}


def test_health_says_503_when_the_database_does_not_answer(desk: Desk, client: TestClient) -> None:
    broken = make_engine("sqlite:////nonexistent-baoxiu-dir/baoxiu.db")
    real, desk.engine = desk.engine, broken
    try:
        response = client.get("/healthz")
    finally:
        desk.engine = real
        broken.dispose()
    assert response.status_code == 503
    assert response.json() == {"ok": False, "database": False, "store": True}


def test_the_openapi_document_lists_the_ticket_endpoints(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/tickets" in paths and {"get", "post"} <= set(paths["/api/v1/tickets"])
    assert "/api/v1/tickets/{number}" in paths and "/api/v1/tickets/{number}/events" in paths


# --- authentication ----------------------------------------------------------------


def test_without_a_token_the_tickets_are_refused_with_401(client: TestClient) -> None:
    response = client.get("/api/v1/tickets")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.post("/api/v1/tickets", json=REPAIR).status_code == 401


def test_a_made_up_token_is_refused_with_401(client: TestClient, token: str) -> None:
    response = client.get("/api/v1/tickets", headers={"Authorization": "Bearer bx_not-a-real-token"})
    assert response.status_code == 401
    assert token not in response.text
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Basic {token}"}).status_code == 401


def test_nothing_is_created_when_the_token_is_wrong(client: TestClient, token: str) -> None:
    assert client.post("/api/v1/tickets", json=REPAIR,
                       headers={"Authorization": "Bearer bx_wrong"}).status_code == 401
    listed = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200 and listed.json() == []


# --- creating ------------------------------------------------------------------------


def test_a_created_ticket_gets_a_number_and_is_offered_to_a_technician_at_once(api: TestClient) -> None:
    response = api.post("/api/v1/tickets", json=REPAIR)
    assert response.status_code == 201
    ticket = response.json()
    assert ticket["number"] == "BX20261123-0001"
    assert ticket["state"] == "assigned" and ticket["assignee_id"]
    assert ticket["type"] == "repair" and ticket["priority"] == "normal"
    assert ticket["product"] == {"sku": "FC-K100", "name": "厨房抽拉式水龙头"}
    assert ticket["site"]["community"] == "翠湖花园" and ticket["site"]["region"] == "西湖区"
    assert ticket["customer"] == {"phone": "138****8000", "name": "赵女士"}
    assert ticket["deadlines"]["accept_by"] and ticket["deadlines"]["resolve_by"]
    assert ticket["created_at"] == "2026-11-23T10:00:00+08:00"


def test_numbers_count_up_within_the_day(api: TestClient) -> None:
    numbers = [create(api)["number"] for _ in range(3)]
    assert numbers == ["BX20261123-0001", "BX20261123-0002", "BX20261123-0003"]


def test_the_full_phone_number_appears_nowhere_in_any_answer(api: TestClient) -> None:
    created = api.post("/api/v1/tickets", json=REPAIR)
    number = created.json()["number"]
    answers = [created, api.get("/api/v1/tickets"), api.get(f"/api/v1/tickets/{number}"),
               api.get(f"/api/v1/tickets/{number}/events")]
    assert [r.status_code for r in answers] == [201, 200, 200, 200]
    for response in answers:
        assert PHONE not in response.text
    assert "138****8000" in answers[0].text and "138****8000" in answers[2].text


def test_a_refused_request_does_not_echo_the_phone_back(api: TestClient) -> None:
    response = api.post("/api/v1/tickets", json={"phone": PHONE, "room": "x" * 100})
    assert response.status_code == 422
    fields = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert ("body", "description") in fields and ("body", "room") in fields
    assert PHONE not in response.text and "x" * 100 not in response.text


def test_a_phone_written_with_spaces_is_accepted_and_masked(api: TestClient) -> None:
    ticket = create(api, phone="138 0013 8000")
    assert ticket["customer"]["phone"] == "138****8000"


def test_a_bad_phone_is_refused_with_422_and_nothing_is_created(api: TestClient) -> None:
    for phone in ("12345", "", "not a phone", "23800138000", "138001380001"):
        response = api.post("/api/v1/tickets", json={**REPAIR, "phone": phone})
        assert response.status_code == 422, phone
        assert response.json()["detail"].startswith("phone:")
    assert api.get("/api/v1/tickets").json() == []


def test_unknown_sku_type_or_priority_is_refused_with_422_naming_the_field(api: TestClient) -> None:
    for field, value in (("product_sku", "XX-0000"), ("type", "teleport"), ("priority", "whenever")):
        response = api.post("/api/v1/tickets", json={**REPAIR, field: value})
        assert response.status_code == 422, field
        assert response.json()["detail"].startswith(f"{field}:")
    assert api.get("/api/v1/tickets").json() == []


def test_a_missing_description_is_refused_with_422(api: TestClient) -> None:
    body = {k: v for k, v in REPAIR.items() if k != "description"}
    assert api.post("/api/v1/tickets", json=body).status_code == 422
    assert api.post("/api/v1/tickets", json={**REPAIR, "description": ""}).status_code == 422
    assert api.get("/api/v1/tickets").json() == []


def test_type_and_priority_can_be_chosen(api: TestClient) -> None:
    ticket = create(api, type="install", priority="high", description="新买的龙头装一下")
    assert (ticket["type"], ticket["type_name"], ticket["priority"]) == ("install", "安装", "high")


def test_a_ticket_without_address_or_product_is_still_created(api: TestClient) -> None:
    ticket = create(api, type="complaint", description="客服电话打不通", community="", building="",
                    unit="", room="", product_sku=None)
    assert NUMBER.match(ticket["number"])
    assert ticket["site"] is None and ticket["product"] is None


def test_a_ticket_from_the_api_is_opened_by_the_client_and_the_owner_is_told(desk: Desk,
                                                                           api: TestClient) -> None:
    ticket = create(api)
    number = ticket["number"]
    trail = api.get(f"/api/v1/tickets/{number}/events").json()
    assert trail[0]["actor"] == "admin:api:webform" and trail[0]["reason"] == "代客报修"
    chat = Chat(desk)
    out = chat.tick()
    assert f"您的报修已受理，工单号 {number}" in chat.to("owner:13800138000", out)
    assert f"【新工单】{number}" in chat.to(f"technician:{ticket['assignee_id']}", out)
    assert number in chat("owner:13800138000", "进度")


# --- reading -------------------------------------------------------------------------


def test_a_ticket_is_found_by_its_number_in_any_case(api: TestClient) -> None:
    number = create(api)["number"]
    response = api.get(f"/api/v1/tickets/{number.lower()}")
    assert response.status_code == 200
    assert response.json()["number"] == number and response.json()["state"] == "assigned"


def test_an_unknown_number_is_404(api: TestClient) -> None:
    create(api)
    response = api.get("/api/v1/tickets/BX20991231-9999")
    assert response.status_code == 404
    assert "BX20991231-9999" in response.json()["detail"]
    assert api.get("/api/v1/tickets/BX20991231-9999/events").status_code == 404


def test_the_events_show_the_ticket_opened_then_offered(api: TestClient) -> None:
    ticket = create(api)
    events = api.get(f"/api/v1/tickets/{ticket['number']}/events")
    assert events.status_code == 200
    trail = events.json()
    assert [e["action"] for e in trail] == ["open", "offer"]
    assert (trail[0]["from"], trail[0]["to"]) == ("new", "new")
    assert (trail[1]["from"], trail[1]["to"]) == ("new", "assigned")
    assert ticket["assignee_id"] in trail[1]["reason"]
    assert trail[0]["at"] == "2026-11-23T10:00:00+08:00"


def test_the_list_is_newest_first_and_filters_by_state_and_type(desk: Desk, api: TestClient,
                                                                 clock: FakeClock) -> None:
    first = create(api)
    clock.advance(minutes=5)
    second = create(api, type="install", description="新买的龙头装一下")
    clock.advance(minutes=5)
    third = create(api, description="面盆龙头滴水", product_sku="FC-B100")
    chat = Chat(desk)
    assert "已接单" in chat(f"technician:{first['assignee_id']}", f"接单 {first['number']}")

    everything = api.get("/api/v1/tickets").json()
    assert [t["number"] for t in everything] == [third["number"], second["number"], first["number"]]

    accepted = api.get("/api/v1/tickets", params={"state": "accepted"}).json()
    assert [t["number"] for t in accepted] == [first["number"]]
    assigned = api.get("/api/v1/tickets", params={"state": "assigned"}).json()
    assert [t["number"] for t in assigned] == [third["number"], second["number"]]
    installs = api.get("/api/v1/tickets", params={"type": "install"}).json()
    assert [t["number"] for t in installs] == [second["number"]]
    both = api.get("/api/v1/tickets", params={"type": "repair", "state": "assigned"}).json()
    assert [t["number"] for t in both] == [third["number"]]
    assert api.get("/api/v1/tickets", params={"state": "closed"}).json() == []


def test_the_list_pages_with_limit_and_offset(api: TestClient) -> None:
    numbers = [create(api)["number"] for _ in range(3)]
    page = api.get("/api/v1/tickets", params={"limit": 2, "offset": 1}).json()
    assert [t["number"] for t in page] == [numbers[1], numbers[0]]
    assert api.get("/api/v1/tickets", params={"limit": 0}).status_code == 422
    assert api.get("/api/v1/tickets", params={"limit": 501}).status_code == 422


def test_the_list_filters_by_assignee(api: TestClient) -> None:
    ticket = create(api)
    mine = api.get("/api/v1/tickets", params={"assignee": ticket["assignee_id"]}).json()
    assert [t["number"] for t in mine] == [ticket["number"]]
    assert api.get("/api/v1/tickets", params={"assignee": "T99"}).json() == []


def test_a_ticket_reported_in_the_chat_is_visible_through_the_api(desk: Desk, api: TestClient) -> None:
    chat = Chat(desk)
    chat("owner:13800138000", "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat("owner:13800138000", "确认")
    number = chat.last_number()
    ticket = api.get(f"/api/v1/tickets/{number}").json()
    assert ticket["state"] == "assigned" and ticket["customer"]["phone"] == "138****8000"
    assert ticket["site"] == {"community": "翠湖花园", "building": "3", "unit": "2", "room": "501",
                              "region": "西湖区"}


def test_an_unknown_state_filter_is_refused_with_422_naming_the_allowed_states(api: TestClient) -> None:
    create(api)
    answer = api.get("/api/v1/tickets", params={"state": "bogus"})
    assert answer.status_code == 422
    assert "state" in answer.text and "assigned" in answer.text


def test_stats_count_the_days_sla_breaches_and_the_share_resolved_in_time(
        api: TestClient, desk: Desk, clock: FakeClock) -> None:
    from dataclasses import replace
    from datetime import timedelta

    from tests.conftest import Chat

    desk.rules = replace(desk.rules, offer_timeout=timedelta(hours=8))
    chat = Chat(desk)
    numbers = []
    for phone in ("13800138000", "13800138001"):
        chat(f"owner:{phone}", "厨房水龙头漏水了，翠湖花园3栋2单元501")
        chat(f"owner:{phone}", "确认")
        numbers.append(chat.last_number())
    late, on_time = numbers
    tech = "technician:" + chat.ticket(on_time).assignee_id
    chat(tech, f"接单 {on_time}")
    chat(tech, f"到达 {on_time}")
    chat(tech, f"完工 {on_time} 已修复")
    clock.advance(hours=2, minutes=1)   # the other ticket's 2-hour acceptance passes
    chat.tick()
    tech = "technician:" + chat.ticket(late).assignee_id
    chat(tech, f"接单 {late}")
    chat(tech, f"到达 {late}")
    chat(tech, f"完工 {late} 已修复")
    today = api.get("/api/v1/stats").json()["today"]
    assert today["sla_breaches"] == 1 and today["sla_attainment"] == 0.5
    assert "时效：今日超时 1 次 · 按时解决率 50%" in chat("manager:M01", "今日统计")
