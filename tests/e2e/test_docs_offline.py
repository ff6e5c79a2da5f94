"""/docs and /redoc load everything from this service: no CDN, so they work offline and in mainland networks."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.bootstrap import Desk


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_docs_use_no_outside_host_and_their_assets_are_served(desk: Desk, page: str) -> None:
    with TestClient(create_app(desk)) as client:
        html = client.get(page).text
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html) + re.findall(r"url: ['\"]([^'\"]+)", html)
        assert assets and not [a for a in assets if "//" in a]      # nothing from another host
        scripts = [a for a in assets if a.endswith(".js")]
        assert scripts
        for asset in assets:
            response = client.get(asset)
            assert response.status_code == 200 and len(response.content) > 100, asset
