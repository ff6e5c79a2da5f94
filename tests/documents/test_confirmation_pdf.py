"""The 服务确认单: asked for in chat, written by the CLI, served by the API, and read back as a person would."""
from __future__ import annotations

import re
from pathlib import Path

import numpy
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from PIL import Image

from bot.bootstrap import Desk
from bot.cli import cli
from storage.importer import import_csv
from tests.conftest import DEMO, Chat, FakeClock
from tests.documents.pdf_pages import Read, inked, read_pdf
from tests.handlers.test_owner_flow import OWNER, finish, open_ticket

SENT = re.compile(r"→ owner:13800138000 \[文件\] (\S+\.pdf)")


@pytest.fixture
def stocked(desk: Desk) -> Desk:
    with desk.uow() as uow:
        for kind in ("parts", "stock"):
            import_csv(uow.session, kind, DEMO / f"{kind}.csv")
        uow.commit()
    return desk


def repaired(chat: Chat, clock: FakeClock, rate: bool = True) -> str:
    """A kitchen tap fixed with one valve, confirmed 修好了 in chat and rated 5 with a comment."""
    number = open_ticket(chat)
    clock.advance(hours=2)
    finish(chat, number, "完工 更换阀芯，试水正常 配件:P-VALVE x1")
    clock.advance(minutes=30)
    chat(OWNER, "修好了")
    if rate:
        chat(OWNER, "5 师傅很专业")
    return number


def assert_readable(read: Read, *phrases: str) -> None:
    """Every phrase is in the text layer, every character of it has a real glyph, and the page is drawn."""
    flat = re.sub(r"\s+", "", read.text)
    for phrase in phrases:
        assert re.sub(r"\s+", "", phrase) in flat, phrase
        lacking = {c for c in phrase if not c.isspace()} - read.drawable
        assert not lacking, f"no glyph embedded for {lacking} of {phrase}"
    assert inked(read.pages[0]) > 0.005   # not a blank page with an invisible text layer


def test_an_owner_asks_for_the_confirmation_and_gets_a_pdf_with_the_ticket_on_it(
        chat: Chat, clock: FakeClock, stocked: Desk) -> None:
    number = repaired(chat, clock)
    out = chat(OWNER, "确认单")
    assert f"工单 {number} 的服务确认单" in chat.to(OWNER, out)
    sent = SENT.search(out)
    assert sent, out
    read = read_pdf(Path(sent.group(1)).read_bytes())
    ticket = chat.ticket(number)
    assert_readable(read, "服务确认单", number, "维修", "138****8000", "翠湖花园3栋2单元501室",
                    ticket.description, "更换阀芯，试水正常", "陶瓷阀芯", "P-VALVE", "¥45.00",
                    "业主在聊天中确认「修好了」", "5分（满分5分）", "师傅很专业", "客户签字")
    assert "13800138000" not in read.text   # the phone is masked on paper too
    with stocked.uow() as uow:
        name = uow.people.technician(ticket.assignee_id).name
    assert_readable(read, name)


def test_characters_the_font_lacks_are_left_out_rather_than_printed_as_boxes(
        chat: Chat, clock: FakeClock, stocked: Desk) -> None:
    chat(OWNER, "厨房水龙头漏水了😭，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    finish(chat, number)
    read = read_pdf(Path(SENT.search(chat(OWNER, "确认单")).group(1)).read_bytes())  # type: ignore[union-attr]
    assert_readable(read, "厨房水龙头漏水了")
    assert "😭" not in read.text and "😭" not in read.drawable


def test_a_ticket_still_being_worked_on_has_no_confirmation_yet(chat: Chat, clock: FakeClock) -> None:
    number = open_ticket(chat)
    out = chat(OWNER, f"确认单 {number}")
    assert "还没有完工" in out and "[文件]" not in out


def test_someone_elses_ticket_is_not_printed_for_an_owner(chat: Chat, clock: FakeClock, stocked: Desk) -> None:
    number = repaired(chat, clock)
    out = chat("owner:13911112222", f"确认单 {number}")
    assert "[文件]" not in out and number in out


def test_the_cli_writes_the_pdf_and_refuses_an_open_ticket(chat: Chat, clock: FakeClock, stocked: Desk,
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    number = repaired(chat, clock, rate=False)
    monkeypatch.setattr("bot.cli.DeskContext.desk", lambda self: stocked)
    target = tmp_path / "out.pdf"
    result = CliRunner().invoke(cli, ["ticket", "pdf", number.lower(), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert_readable(read_pdf(target.read_bytes()), number, "陶瓷阀芯", "¥45.00")
    open_number = open_ticket(chat, "卫生间马桶堵了 翠湖花园5栋1单元302")
    result = CliRunner().invoke(cli, ["ticket", "pdf", open_number])
    assert result.exit_code == 1 and "no finished ticket" in result.output


def test_the_api_serves_the_pdf_to_a_token_and_nothing_without_one(chat: Chat, clock: FakeClock, stocked: Desk,
                                                                   api: TestClient) -> None:
    number = repaired(chat, clock)
    response = api.get(f"/api/v1/tickets/{number}/confirmation.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert_readable(read_pdf(response.content), number, "师傅很专业")
    assert api.get("/api/v1/tickets/BX20990101-0001/confirmation.pdf").status_code == 404
    del api.headers["Authorization"]
    assert api.get(f"/api/v1/tickets/{number}/confirmation.pdf").status_code == 401


def test_an_operator_template_changes_the_form_without_code(chat: Chat, clock: FakeClock, stocked: Desk,
                                                           tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 40), (200, 30, 30)).save(logo)
    template = tmp_path / "form.toml"
    template.write_text('title = "上门服务单"\nsubtitle = "${company} 售后部"\n'
                        '[[blocks]]\nkind = "fields"\nheading = "基本信息"\nfields = ["number", "product"]\n'
                        '[[blocks]]\nkind = "text"\nheading = "说明"\ntext = "本单由${technician}完成，应付${charge}。"\n'
                        '[labels]\nnumber = "单号"\n', encoding="utf-8")
    stocked.settings.documents.company = "翠湖家居"
    stocked.settings.documents.logo = str(logo)
    stocked.settings.documents.confirmation_template = str(template)
    number = repaired(chat, clock)
    read = read_pdf(Path(SENT.search(chat(OWNER, "确认单")).group(1)).read_bytes())  # type: ignore[union-attr]
    assert_readable(read, "上门服务单", "翠湖家居售后部", "单号", number, "本单由", "完成，应付¥")
    assert "费用明细" not in read.text and "客户签字" not in read.text
    rgb = numpy.asarray(read.pages[0].convert("RGB")).astype(int)
    red = ((rgb[..., 0] > 180) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)).sum()
    assert red > 500   # the logo is printed


def test_a_template_naming_an_unknown_field_is_refused_with_the_block(tmp_path: Path) -> None:
    from scheduler.render.formats import FIELDS
    from scheduler.render.template import TemplateError, load_layout

    bad = tmp_path / "bad.toml"
    bad.write_text('[[blocks]]\nkind = "fields"\nfields = ["number", "salary"]\n', encoding="utf-8")
    with pytest.raises(TemplateError, match=r"bad.toml: blocks\[0\]: unknown field salary"):
        load_layout(bad, FIELDS)
