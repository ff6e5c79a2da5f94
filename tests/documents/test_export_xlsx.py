"""A month of tickets to Excel: the CLI and the API, Chinese headers, real dates, filters, phones masked."""
from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from bot.bootstrap import Desk
from bot.cli import cli
from bot.tokens import create_token
from tests.conftest import Chat, FakeClock
from tests.handlers.test_owner_flow import OWNER, finish, open_ticket


def month_of_tickets(chat: Chat, clock: FakeClock) -> list[str]:
    fixed = open_ticket(chat)
    finish(chat, fixed)
    chat(OWNER, "修好了")
    clock.advance(days=1)
    waiting = open_ticket(chat, "热水器不出热水 滨江壹号2栋1单元1203")
    clock.advance(days=10)
    later = open_ticket(chat, "卫生间马桶堵了 翠湖花园5栋1单元302")
    return [fixed, waiting, later]


def sheet_rows(data: bytes) -> list[dict[str, object]]:
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_the_cli_exports_the_days_asked_with_chinese_headers_and_excel_dates(
        chat: Chat, clock: FakeClock, desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed, waiting, later = month_of_tickets(chat, clock)
    monkeypatch.setattr("bot.cli.DeskContext.desk", lambda self: desk)
    out = tmp_path / "nov.xlsx"
    result = CliRunner().invoke(cli, ["export", "tickets", "--from", "2026-11-23", "--to", "2026-11-30", str(out)])
    assert result.exit_code == 0 and "2 tickets" in result.output, result.output
    rows = sheet_rows(out.read_bytes())
    assert [r["工单号"] for r in rows] == [fixed, waiting]
    first = rows[0]
    assert first["状态"] == "已完成" and first["类型"] == "维修" and first["小区"] == "翠湖花园"
    assert first["报修时间"] == datetime(2026, 11, 23, 10, 0)        # a date cell in desk time, not text
    assert isinstance(first["完工时间"], datetime) and first["电话"] == "138****8000"
    assert first["师傅"] and first["区域"]
    whole = tmp_path / "whole.xlsx"
    CliRunner().invoke(cli, ["export", "tickets", "--from", "2026-11-23", "--to", "2026-12-31", "--state", "assigned",
                             "--full-phones", str(whole)])
    kept = sheet_rows(whole.read_bytes())
    assert [r["工单号"] for r in kept] == [waiting, later] and kept[0]["电话"] == "13800138000"


def test_the_api_exports_with_filters_and_never_a_whole_phone(chat: Chat, clock: FakeClock, api: TestClient) -> None:
    fixed, waiting, later = month_of_tickets(chat, clock)
    response = api.get("/api/v1/exports/tickets.xlsx", params={"from": "2026-11-01", "to": "2026-12-31"})
    assert response.status_code == 200 and "spreadsheetml" in response.headers["content-type"]
    rows = sheet_rows(response.content)
    assert [r["工单号"] for r in rows] == [fixed, waiting, later]
    assert all("****" in str(r["电话"]) for r in rows) and b"13800138000" not in response.content
    region = rows[1]["区域"]
    only = sheet_rows(api.get("/api/v1/exports/tickets.xlsx",
                              params={"from": "2026-11-01", "to": "2026-12-31", "region": region}).content)
    assert only and all(r["区域"] == region for r in only)
    assert api.get("/api/v1/exports/tickets.xlsx", params={"from": "2026-12-31", "to": "2026-11-01"}).status_code == 422
    del api.headers["Authorization"]
    assert api.get("/api/v1/exports/tickets.xlsx", params={"from": "2026-11-01", "to": "2026-11-30"}).status_code == 401


def test_an_admin_token_gets_the_phones_whole(chat: Chat, clock: FakeClock, desk: Desk, api: TestClient) -> None:
    month_of_tickets(chat, clock)
    with desk.uow() as uow:
        admin = create_token(uow.session, "auditor", clock(), ("admin",))
        uow.commit()
    api.headers["Authorization"] = f"Bearer {admin}"
    rows = sheet_rows(api.get("/api/v1/exports/tickets.xlsx", params={"from": "2026-11-01", "to": "2026-12-31"}).content)
    assert rows and all("****" not in str(r["电话"]) for r in rows)
    assert any(str(r["电话"]) == "13800138000" for r in rows)
