"""Figures on DingTalk as a native chart: a manager asks 本周统计 and gets an interactive card whose chart
components carry the week's numbers, created through the fake's createAndDeliver (checked there against
the chart protocol), with no picture uploaded."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.bootstrap import Desk
from tests.conftest import Chat, FakeClock
from tests.e2e.test_dingtalk_http import MANAGER, fake, say  # noqa: F401  (fixture)
from tests.fakes.dingtalk import CHART_TEMPLATE, FakeDingtalk


@pytest.fixture
def charting(desk: Desk, fake: FakeDingtalk) -> Iterator[TestClient]:  # noqa: F811
    fake.configure(desk.settings.dingtalk, mode="http", charts=True)
    with TestClient(create_app(desk)) as c:
        yield c


def test_a_manager_asking_for_the_week_on_dingtalk_gets_a_native_chart_card(
        desk: Desk, fake: FakeDingtalk, charting: TestClient, clock: FakeClock) -> None:  # noqa: F811
    chat = Chat(desk)
    for room in (501, 502):
        chat(f"owner:1380013800{room % 10}", f"厨房水龙头漏水了，翠湖花园3栋2单元{room}")
        chat(f"owner:1380013800{room % 10}", "确认")
    monday = clock()
    clock.advance(days=2)                                        # Wednesday: the week so far is three days
    say(charting, fake, "本周统计", sender=MANAGER, group=None)
    charts = [s for s in fake.to(MANAGER) if s.kind == "chart"]
    assert len(charts) == 1 and not fake.media                   # drawn by DingTalk: nothing uploaded
    (card,) = [c for c in fake.cards.values() if c["chat"] == MANAGER]
    params = card["params"]
    created = [p for p in json.loads(params["trend"])["data"] if p["type"] == "新建"]
    assert {p["x"]: p["y"] for p in created}[f"{monday:%m-%d}"] == 2 and sum(p["y"] for p in created) == 2
    regions = json.loads(params["regions"])
    assert regions["type"] == "histogram" and sum(p["y"] for p in regions["data"]) == 2
    assert f"{monday:%m-%d} 至 {clock():%m-%d}" in params["title"] and "新建" in params["markdown"]
    assert not re.search(r"1[3-9]\d{9}|\d+室|单元", json.dumps(params, ensure_ascii=False))
    request = next(b for m, p, b in fake.requests if p.endswith("createAndDeliver"))
    assert request["cardTemplateId"] == CHART_TEMPLATE
    assert request["openSpaceId"] == f"dtv1.card//IM_ROBOT.{MANAGER}"
