"""API tokens an operator can list, scope and revoke; a revoked one is refused by every worker at once."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.bootstrap import bootstrap
from bot.settings import load_settings
from tests.e2e.test_cli import Baoxiu, _no_baoxiu_environment, baoxiu, site  # noqa: F401  (fixtures)

SALE = {"phone": "13800138000", "community": "翠湖花园", "building": "3", "unit": "2", "room": "501",
        "sku": "FC-K100", "serial": "SN-TOKENS-1", "purchase_date": "2026-01-02"}


@pytest.fixture
def workers(baoxiu: Baoxiu) -> Iterator[tuple[TestClient, TestClient]]:
    """Two web processes on one database, as `baoxiu serve --no-scheduler` twice would be."""
    baoxiu("demo")
    with ExitStack() as stack:
        clients = []
        for _ in range(2):
            desk = bootstrap(load_settings(str(baoxiu.config), env=dict(os.environ)))
            stack.callback(desk.close)
            clients.append(stack.enter_context(TestClient(create_app(desk, scheduler=False))))
        yield clients[0], clients[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_refused_with_403_outside_its_scopes(baoxiu: Baoxiu, workers: tuple[TestClient, TestClient]) -> None:
    web, _ = workers
    reader = baoxiu("token", "create", "dashboard", "--scope", "read").output.strip()
    shop = baoxiu("token", "create", "shop", "--scope", "purchases:write").output.strip()
    admin = baoxiu("token", "create", "ops", "--scope", "admin").output.strip()
    assert web.get("/api/v1/tickets", headers=bearer(reader)).status_code == 200
    assert web.get("/api/v1/stats", headers=bearer(reader)).status_code == 200
    refused = web.post("/api/v1/purchases", json=SALE, headers=bearer(reader))
    assert refused.status_code == 403 and "purchases:write" in refused.json()["detail"]
    assert web.post("/api/v1/tickets", json={"phone": "13800138000", "description": "漏水"},
                    headers=bearer(reader)).status_code == 403
    assert web.post("/api/v1/purchases", json=SALE, headers=bearer(shop)).status_code in (200, 201)
    assert web.get("/api/v1/tickets", headers=bearer(shop)).status_code == 403
    assert web.get("/api/v1/tickets", headers=bearer(admin)).status_code == 200


def test_the_list_shows_names_scopes_and_use_but_never_a_secret(baoxiu: Baoxiu,
                                                                 workers: tuple[TestClient, TestClient]) -> None:
    web, _ = workers
    secret = baoxiu("token", "create", "crm", "--scope", "read", "--scope", "purchases:write").output.strip()
    listed = baoxiu("token", "list").output
    assert "crm" in listed and "read purchases:write" in listed and "never used" in listed
    web.get("/api/v1/tickets", headers=bearer(secret))
    listed = baoxiu("token", "list").output
    assert "never used" not in listed and "last used 20" in listed
    assert secret not in listed and secret[3:12] not in listed


def test_a_revoked_token_gets_401_at_once_on_every_worker(baoxiu: Baoxiu,
                                                          workers: tuple[TestClient, TestClient]) -> None:
    first, second = workers
    secret = baoxiu("token", "create", "crm", "--scope", "read").output.strip()
    assert [w.get("/api/v1/tickets", headers=bearer(secret)).status_code for w in workers] == [200, 200]
    assert baoxiu("token", "revoke", "crm").output.strip() == "revoked crm"
    assert [w.get("/api/v1/tickets", headers=bearer(secret)).status_code for w in workers] == [401, 401]
    assert "REVOKED" in baoxiu("token", "list").output
    assert "no live token named crm" in baoxiu("token", "revoke", "crm", ok=False).output


def test_a_name_in_use_is_refused_and_a_scope_is_required(baoxiu: Baoxiu) -> None:
    baoxiu("token", "create", "crm", "--scope", "read")
    assert "exists; revoke it first" in baoxiu("token", "create", "crm", "--scope", "read", ok=False).output
    result = baoxiu("token", "create", "erp", ok=False)
    assert "--scope" in result.output and "bx_" not in result.output
    assert "bogus" in baoxiu("token", "create", "erp", "--scope", "bogus", ok=False).output
