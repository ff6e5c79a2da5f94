"""[[calendar.holidays]] and [[calendar.workdays]] in the config file and the environment, and the
start-up warning a month before the known holidays end."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.bootstrap import bootstrap, build_rules
from bot.settings import load_settings
from domain.calendar import STATUTORY_YEARS
from storage.kv_memory import MemoryStore
from tests.conftest import CN, FakeClock
from tests.integration.test_settings import settings_error, write_config

NEXT = STATUTORY_YEARS[-1] + 1
HOLIDAYS = f"""
[[calendar.holidays]]
name = "元旦"
start = {NEXT}-01-01
[[calendar.holidays]]
name = "春节"
start = {NEXT}-02-06
end = {NEXT}-02-12
[[calendar.workdays]]
date = {NEXT}-02-20
name = "春节调休"
"""


def test_holidays_in_the_config_file_move_deadlines(tmp_path: Path) -> None:
    rules = build_rules(load_settings(str(write_config(tmp_path, extra=HOLIDAYS)), env={}))
    business = rules.calendars["business"]
    before = datetime(NEXT, 2, 5, 17, tzinfo=CN)          # the last afternoon before the week off
    assert business.add(before, timedelta(hours=2)).date() == date(NEXT, 2, 15)
    saturday = datetime(NEXT, 2, 20, 9, tzinfo=CN)
    assert saturday.weekday() == 5 and business.add(saturday, timedelta(hours=1)).date() == saturday.date()
    assert rules.calendar_known_until == date(NEXT, 12, 31)


def test_holidays_can_come_from_the_environment_too(tmp_path: Path) -> None:
    env = {"BAOXIU_CALENDAR_HOLIDAYS": f'[{{"name": "元旦", "start": "{NEXT}-01-01"}}]'}
    settings = load_settings(str(write_config(tmp_path)), env=env)
    assert settings.calendar.holiday_days() == {date(NEXT, 1, 1)}


@pytest.mark.parametrize(("extra", "key"), [
    (f'[[calendar.holidays]]\nname = "国庆"\nstart = {NEXT}-10-07\nend = {NEXT}-10-01\n', "[calendar.holidays.0.end]"),
    (f'[[calendar.holidays]]\nname = "国庆"\nstart = "next october"\n', "[calendar.holidays.0.start]"),
    (f'[[calendar.workdays]]\nday = {NEXT}-10-10\n', "[calendar.workdays.0"),
])
def test_a_bad_holiday_names_its_key(tmp_path: Path, extra: str, key: str) -> None:
    assert key in settings_error(write_config(tmp_path, extra=extra))


def test_start_up_warns_a_month_before_the_known_holidays_end(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    last = date(STATUTORY_YEARS[-1], 12, 1)
    settings = load_settings(str(write_config(tmp_path)), env={})
    settings.database.url = f"sqlite:///{tmp_path / 'desk.db'}"
    with caplog.at_level(logging.WARNING, logger="baoxiu"):
        bootstrap(settings, clock=FakeClock(datetime(last.year, 12, 1, 9, tzinfo=CN)), store=MemoryStore()).close()
    assert any("【日历提醒】" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with_next = load_settings(str(write_config(tmp_path, extra=HOLIDAYS)), env={})
    with_next.database.url = settings.database.url
    with caplog.at_level(logging.WARNING, logger="baoxiu"):
        bootstrap(with_next, clock=FakeClock(datetime(last.year, 12, 1, 9, tzinfo=CN)), store=MemoryStore()).close()
    assert not any("【日历提醒】" in r.getMessage() for r in caplog.records)
