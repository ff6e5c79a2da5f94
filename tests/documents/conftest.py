"""What the document tests share: the REST API as a reader with a read-scope token sees it."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.bootstrap import Desk
from bot.tokens import create_token
from tests.conftest import FakeClock


@pytest.fixture
def api(desk: Desk, clock: FakeClock) -> Iterator[TestClient]:
    with desk.uow() as uow:
        secret = create_token(uow.session, "auditor", clock(), ("read",))
        uow.commit()
    with TestClient(create_app(desk)) as c:
        c.headers["Authorization"] = f"Bearer {secret}"
        yield c
