"""Figures as pictures: the numbers behind a chart, the chart a manager is sent, and what it never shows."""
from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from bot.bootstrap import Desk
from domain.charts import ChartFigures, chart_figures, last_days
from domain.reports import send_daily_report
from scheduler.render.chart import render_chart
from storage.tables import OutboxRow
from tests.conftest import CN, Chat, FakeClock
from tests.handlers.test_owner_flow import OWNER, finish, open_ticket

MANAGER = "manager:M01"
PICTURE = re.compile(r"→ manager:M01 \[图片\] (\S+\.png)")


def week_of_work(chat: Chat, clock: FakeClock) -> list[str]:
    """Two jobs on Monday (one fixed and rated 4), one on Wednesday still open."""
    first = open_ticket(chat)
    finish(chat, first)
    chat(OWNER, "修好了")
    chat(OWNER, "4")
    second = open_ticket(chat, "卫生间马桶堵了 翠湖花园5栋1单元302，电话13911112222".replace("13911112222", "13800138000"))
    clock.advance(days=2)
    third = open_ticket(chat, "热水器不出热水 滨江壹号2栋1单元1203")
    return [first, second, third]


def test_the_figures_count_each_day_and_rank_regions_products_and_technicians(chat: Chat, clock: FakeClock) -> None:
    numbers = week_of_work(chat, clock)
    today = clock().astimezone(CN).date()
    assignee = chat.ticket(numbers[0]).assignee_id
    with chat.desk.uow() as uow:
        f = chart_figures(uow, chat.desk.rules, clock(), *last_days(today, 7), "今日统计")
        tech = uow.people.technician(assignee)
    assert (f.first, f.last) == (date(2026, 11, 19), date(2026, 11, 25)) and len(f.days) == 7
    assert [(d.day.day, d.created, d.closed) for d in f.days if d.created or d.closed] == [(23, 2, 1), (25, 1, 0)]
    assert (f.created, f.closed, f.open, f.avg_rating, f.on_time) == (3, 1, 2, 4.0, 1.0)
    assert [(r.name, r.count, r.rating) for r in f.technicians] == [(tech.name, 1, 4.0)]
    assert sum(r.count for r in f.by_region) == 3 and sum(r.count for r in f.by_product) == 3
    assert ChartFigures.from_dict(json.loads(json.dumps(f.to_dict()))) == f


def test_a_manager_asking_for_todays_figures_gets_the_text_and_then_a_chart(chat: Chat, clock: FakeClock) -> None:
    week_of_work(chat, clock)
    out = chat(MANAGER, "今日统计")
    assert "📊 今日统计" in chat.to(MANAGER, out)
    picture = PICTURE.search(out)
    assert picture, out
    image = Image.open(io.BytesIO(Path(picture.group(1)).read_bytes()))
    assert image.format == "PNG" and image.size == (900, 630)
    assert len(image.convert("RGB").getcolors(1 << 16) or []) > 20   # drawn, not a blank canvas


def test_a_chart_carries_counts_and_names_never_a_phone_or_an_address(chat: Chat, clock: FakeClock) -> None:
    week_of_work(chat, clock)
    chat(MANAGER, "今日统计")
    with chat.desk.uow() as uow:
        spec = uow.session.scalars(select(OutboxRow.attachment).where(OutboxRow.kind == "chart")).one()
    words = json.dumps(spec, ensure_ascii=False)
    assert "今日统计" in words
    for private in ("13800138000", "138****8000", "3栋", "501", "2单元", "翠湖花园", "滨江壹号", "1203"):
        assert private not in words, private


def test_the_daily_report_goes_to_the_managers_with_its_chart(desk: Desk, clock: FakeClock, chat: Chat) -> None:
    week_of_work(chat, clock)
    clock.now = clock.now.replace(hour=10)   # 18:00 in Shanghai: the configured report time
    with desk.uow() as uow:
        assert send_daily_report(uow, desk.rules, clock()) == 1
        uow.commit()
    out = chat.tick()
    assert "📊 日报" in chat.to(MANAGER, out)
    picture = PICTURE.search(out)
    assert picture and Image.open(picture.group(1)).size == (900, 630)


def test_a_period_with_no_work_still_draws_a_chart_saying_so() -> None:
    empty = ChartFigures("本月报表", date(2026, 12, 1), date(2026, 12, 31), (), 0, 0, 0, 0, None, None, (), (), ())
    image = Image.open(io.BytesIO(render_chart(empty)))
    assert image.size == (900, 630)
