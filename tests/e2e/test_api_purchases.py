"""POST /api/v1/purchases: an ERP pushes sales; they become assets with a warranty end."""
from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.bootstrap import Desk
from storage.tables import AssetRow, CustomerRow
from tests.e2e.test_api import api, client, token  # noqa: F401  (fixtures)

SALE = {"phone": "13800138000", "name": "陈女士", "community": "翠湖花园", "building": "3", "unit": "2",
        "room": "501", "sku": "FC-K100", "serial": "SN-API-1", "purchase_date": "2025-01-02",
        "install_date": "2025-01-10"}


def assets(desk: Desk) -> list[AssetRow]:
    with desk.uow() as uow:
        rows = list(uow.session.scalars(select(AssetRow).order_by(AssetRow.id)))
        uow.session.expunge_all()
        return rows


def push(api: TestClient, body: Any) -> Any:
    return api.post("/api/v1/purchases", json=body)


def test_a_pushed_sale_becomes_an_asset_covered_from_its_install_date(desk: Desk, api: TestClient) -> None:
    response = push(api, SALE)
    assert response.status_code == 200 and response.json() == {"received": 1, "created": 1, "already_recorded": 0}
    (asset,) = assets(desk)
    # FC-K100 carries 60 months: covered until five years after installation, not after purchase
    assert (asset.serial, asset.sku, asset.warranty_end) == ("SN-API-1", "FC-K100", date(2030, 1, 10))


def test_the_same_sale_pushed_twice_creates_one_asset(desk: Desk, api: TestClient) -> None:
    push(api, SALE)
    again = push(api, {"purchases": [SALE]})
    assert again.json() == {"received": 1, "created": 0, "already_recorded": 1}
    assert len(assets(desk)) == 1


def test_a_batch_with_one_bad_sale_records_nothing_and_names_index_and_field(desk: Desk, api: TestClient) -> None:
    good = {**SALE, "serial": "SN-API-2"}
    bad = {**SALE, "phone": "1390013900", "serial": "SN-API-3", "sku": "NOPE", "purchase_date": "2027-01-01",
           "install_date": "2026-12-01"}
    response = push(api, [good, bad])
    assert response.status_code == 422
    problems = {(p["index"], p["field"]) for p in response.json()["detail"]}
    assert problems == {(1, "phone"), (1, "sku"), (1, "purchase_date"), (1, "install_date")}
    assert "1390013900" not in response.text and "NOPE" not in response.text
    assert assets(desk) == []
    with desk.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(CustomerRow)) == 0


def test_a_serial_of_another_customer_is_refused(desk: Desk, api: TestClient) -> None:
    push(api, SALE)
    response = push(api, {**SALE, "phone": "13900139000"})
    assert response.status_code == 422
    assert response.json()["detail"] == [{"index": 0, "field": "serial", "msg": "already belongs to another customer"}]
    assert "13900139000" not in response.text


def test_install_before_purchase_and_no_token_are_refused(desk: Desk, api: TestClient, client: TestClient) -> None:
    response = push(api, {**SALE, "install_date": "2024-12-01"})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "install_date"
    assert client.post("/api/v1/purchases", json=SALE, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert assets(desk) == []


def test_the_same_sale_pushed_at_the_same_moment_twice_still_creates_one_asset(desk: Desk, backend: str) -> None:
    import threading

    import pytest

    from bot.api_purchases import push_purchases

    if backend != "postgres":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    barrier = threading.Barrier(4)
    answers: list[dict[str, int]] = []

    def push() -> None:
        barrier.wait()
        answers.append(push_purchases(dict(SALE), desk, "erp"))

    threads = [threading.Thread(target=push) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(a["created"] for a in answers) == [0, 0, 0, 1]
    assert len(assets(desk)) == 1
