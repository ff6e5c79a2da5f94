"""结算单: a month's closed jobs per technician and per region, as Excel to check and PDF to sign."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.bootstrap import Desk
from bot.cli import cli
from tests.conftest import Chat, FakeClock
from tests.documents.pdf_pages import read_pdf
from tests.handlers.test_figures_seeded import job, seeded  # noqa: F401  (fixture)


def two_jobs(chat: Chat, clock: FakeClock) -> list[str]:
    """An expired faucet the owner pays for, and one still in warranty the company pays for; both a valve."""
    return [job(chat, clock, "13800138000", "厨房的龙头漏水了", ["到达", "完工 换阀芯 配件:P-VALVE x1"]),
            job(chat, clock, "13500135000", "厨房龙头滴水", ["到达", "完工 换阀芯 配件:P-VALVE x1"])]


def run(desk: Desk, monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    monkeypatch.setattr("bot.cli.DeskContext.desk", lambda self: desk)
    result = CliRunner().invoke(cli, ["statement", *args])
    assert result.exit_code == 0, result.output


def test_a_month_by_technician_adds_up_labour_parts_paid_and_warranty_cost(
        seeded: Chat, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paid, warranty = (seeded.ticket(n) for n in two_jobs(seeded, clock))
    assert paid.warranty == "expired" and warranty.warranty == "in" and warranty.charge_cents == 0
    out = tmp_path / "nov.xlsx"
    run(seeded.desk, monkeypatch, "--month", "2026-11", "--by", "technician", str(out))
    rows = list(load_workbook(io.BytesIO(out.read_bytes())).active.iter_rows(values_only=True))
    assert rows[0] == ("师傅", "工单数", "人工费", "配件费", "客户支付", "保内工单", "保内成本")
    total = rows[-1]
    assert total[0] == "合计" and total[1] == 2 and total[3] == 90.0
    assert total[2] == (paid.labour_cents + warranty.labour_cents) / 100
    assert total[4] == paid.charge_cents / 100 and total[5] == 1
    assert total[6] == (warranty.labour_cents + warranty.parts_cents) / 100
    assert sum(r[1] for r in rows[1:-1]) == 2   # the technicians' lines add up to the total
    empty = tmp_path / "oct.xlsx"
    run(seeded.desk, monkeypatch, "--month", "2026-10", str(empty))
    assert list(load_workbook(empty).active.iter_rows(values_only=True))[-1][:2] == ("合计", 0)


def test_the_pdf_by_region_reads_back_with_every_character_drawn(
        seeded: Chat, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_jobs(seeded, clock)
    out = tmp_path / "nov.pdf"
    run(seeded.desk, monkeypatch, "--month", "2026-11", "--by", "region", str(out))
    read = read_pdf(out.read_bytes())
    with seeded.desk.uow() as uow:
        regions = {c.region for c in uow.places.communities() if c.name in ("翠湖花园", "未来科技城·云栖苑")}
    for phrase in ("结算单2026年11月（按区域）", "合计", "保内成本", "¥90.00", *regions):
        assert phrase in read.text.replace(" ", "").replace("\r\n", ""), phrase
        assert not {c for c in phrase if not c.isspace()} - read.drawable, phrase


def test_a_manager_asks_in_chat_and_gets_the_statement_as_a_file(seeded: Chat, clock: FakeClock) -> None:
    two_jobs(seeded, clock)
    out = seeded("manager:M01", "本月结算单")
    assert "2026年11月结算单（按师傅，PDF）" in out
    (pdf,) = re.findall(r"\[文件\] (\S+\.pdf)", out)
    read = read_pdf(Path(pdf).read_bytes())
    assert "结算单2026年11月（按师傅）" in read.text.replace(" ", "").replace("\r\n", "") and "¥90.00" in read.text
    out = seeded("manager:M01", "上个月结算单 按区域 Excel")
    (xlsx,) = re.findall(r"\[文件\] (\S+\.xlsx)", out)
    rows = list(load_workbook(io.BytesIO(Path(xlsx).read_bytes())).active.iter_rows(values_only=True))
    assert rows[0][0] == "区域" and rows[-1][:2] == ("合计", 0)       # October: nothing closed yet


def test_a_period_alone_asks_for_the_figures_not_a_statement(chat: Chat) -> None:
    out = chat("manager:M01", "今天情况怎么样")
    assert "今日统计" in out and "结算单" not in out
    out = chat("manager:M01", "按区域看一下")
    assert "📊" in out and "结算单" not in out
