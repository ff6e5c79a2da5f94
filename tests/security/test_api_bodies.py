"""The REST API bounds a body's size and nesting before parsing it: 4xx, never a 500."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.api_body import MAX_BODY
from tests.e2e.test_api import REPAIR, api, client, create, token  # noqa: F401  (fixtures)

NESTED = b"[" * 20_000 + b"]" * 20_000          # 40 KB of nested arrays


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/purchases"])
def test_forty_kilobytes_of_nested_arrays_are_refused_with_400(api: TestClient, path: str) -> None:
    response = api.post(path, content=NESTED, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "nested" in response.text
    assert api.get("/api/v1/tickets").json() == []


def test_a_body_over_the_limit_is_refused_with_413(api: TestClient) -> None:
    padded = {**REPAIR, "description": "漏水" + " " * MAX_BODY}
    assert api.post("/api/v1/tickets", json=padded).status_code == 413
    assert api.get("/api/v1/tickets").json() == []


def test_an_ordinary_body_still_opens_a_ticket(api: TestClient) -> None:
    assert create(api)["number"].startswith("BX")
