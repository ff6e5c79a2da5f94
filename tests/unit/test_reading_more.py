"""Hazards, take-backs, products told apart, and dates as people write them: plain tables."""
from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import holiday_name
from handlers.extract import CatalogItem, extract, hazard, match_products, parse_when, taken_back
from handlers.extract.when import is_past

CATALOG = [CatalogItem(r["sku"], r["name"], r["category"], tuple(r["aliases"].split("|")))
           for r in csv.DictReader((Path(__file__).parents[2] / "bot" / "demo" / "products.csv").open(encoding="utf-8"))]
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))   # a Wednesday


@pytest.mark.parametrize(("text", "kind"), [
    ("地上全是水", "flood"), ("已经漏到楼下了", "flood"), ("楼下邻居说天花板在滴水", "flood"), ("水管爆了", "flood"),
    ("全屋没电", "power"), ("跳闸了 整个屋都没电", "power"), ("插座冒烟了", "power"),
    ("有煤气味", "gas"), ("燃气热水器一开就有燃气味", "gas"),
    ("进不了门", "locked_out"), ("锁打不开 人在外面", "locked_out"), ("孩子被关在里面出不来", "locked_out"),
    ("淋浴房玻璃爆了", "glass"), ("碎了一地", "glass"), ("很急 尽快", "said"),
])
def test_hazards_are_read(text: str, kind: str) -> None:
    assert hazard(text) == kind


@pytest.mark.parametrize("text", ["水龙头滴答滴答的", "墙角有点渗水", "龙头关不紧 一直滴水", "有点漏水 不急",
                                  "马桶底下有一点点渗水", "热水器打不着火", "衣柜门打不开", "柜门打不开了"])
def test_a_slow_drip_and_ordinary_faults_are_not_urgent(text: str) -> None:
    assert hazard(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("501 哦不对 502", ("501 ", "502")),
    ("不是马桶 是洗手池", ("", "洗手池")),
    ("1701 打错了 应该是1702", ("1701 ", "1702")),
    ("尺寸不对装不上", None),
    ("颜色不对 买的是黑色的", None),
])
def test_what_is_taken_back(text: str, expected: tuple[str, str] | None) -> None:
    assert taken_back(text) == expected


def test_the_later_value_wins_in_one_message() -> None:
    found = extract("马桶漏水 翠湖花园3栋2单元501 哦不对 502 电话13911112222 说错了 13911113333", CATALOG, ["翠湖花园"])
    assert (found.community, found.building, found.unit, found.room) == ("翠湖花园", "3", "2", "502")
    assert found.phone == "13911113333" and found.products[0].sku == "TL-S100"


@pytest.mark.parametrize(("text", "skus"), [
    ("热水器有煤气味", {"WH-G100", "WH-G200"}),
    ("电热的那种 不是燃气", {"WH-E100", "WH-E200"}),
    ("马桶盖想退货", {"TL-Z200"}),
    ("我家toilet漏水了", {"TL-S100"}),
    ("马统堵了", {"TL-S100"}),
])
def test_products_are_told_apart_by_the_words_that_qualify_them(text: str, skus: set[str]) -> None:
    assert match_products(text, CATALOG)[0].sku in skus


@pytest.mark.parametrize(("text", "start", "end"), [
    ("预约 12.8 14:00", "2026-12-08 14:00", "15:00"),
    ("12/8 上午", "2026-12-08 09:00", "12:00"),
    ("12月8号下午三点", "2026-12-08 15:00", "16:00"),
    ("8号", "2026-12-08 09:00", "18:00"),
    ("下周三", "2026-12-09 09:00", "18:00"),
    ("下下周一", "2026-12-14 09:00", "18:00"),
    ("元旦上午", "2027-01-01 09:00", "12:00"),
    ("周末", "2026-12-05 09:00", "18:00"),
    ("后天傍晚", "2026-12-04 18:00", "21:00"),
    ("明早", "2026-12-03 09:00", "12:00"),
    ("下午两点半", "2026-12-02 14:30", "15:30"),
    ("下个月3号上午", "2027-01-03 09:00", "12:00"),
    ("1月5号", "2027-01-05 09:00", "18:00"),
])
def test_dates_and_times_the_way_people_write_them(text: str, start: str, end: str) -> None:
    window = parse_when(text, NOW)
    assert window is not None
    assert (f"{window.start:%Y-%m-%d %H:%M}", f"{window.end:%H:%M}") == (start, end)


@pytest.mark.parametrize("text", ["12.1上午", "11月30号", "昨天下午"])
def test_a_day_gone_by_is_past_not_next_year(text: str) -> None:
    assert parse_when(text, NOW) is None and is_past(text, NOW)


@pytest.mark.parametrize("text", ["月底", "过几天", "农历十五", "3.5米"])
def test_a_day_that_cannot_be_read_is_never_today(text: str) -> None:
    assert parse_when(text, NOW) is None


def test_the_calendar_names_public_holidays() -> None:
    assert holiday_name(datetime(2026, 10, 2).date()) == "国庆节"
    assert holiday_name(datetime(2027, 1, 1).date()) == "元旦"
    assert holiday_name(datetime(2026, 12, 5).date()) is None
