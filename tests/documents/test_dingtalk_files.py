"""Pictures and files through DingTalk's fake: oapi media/upload first, then sampleImageMsg or
sampleFile through the robot API naming the media_id it issued (a session webhook cannot carry them)."""
from __future__ import annotations

import io

import pypdfium2 as pdfium
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from PIL import Image

from bot.bootstrap import Desk
from domain.documents import confirmation_attachment
from domain.notices import Notice
from scheduler.jobs import tick
from tests.conftest import Chat, FakeClock
from tests.e2e.test_dingtalk_http import MANAGER, client, fake, say  # noqa: F401
from tests.fakes.dingtalk import FakeDingtalk


def pdf_text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def test_a_dingtalk_manager_gets_the_chart_as_an_image_in_the_robot_chat(
        desk: Desk, fake: FakeDingtalk, client: TestClient) -> None:
    say(client, fake, "今日统计", sender=MANAGER, group=None)
    mine = fake.to(MANAGER)
    assert any("今日统计" in s.text for s in mine if s.kind == "text")
    images = [s for s in mine if s.kind == "image"]
    assert len(images) == 1 and images[0].via == "batch"
    uploaded = fake.media[images[0].text]
    assert uploaded["type"] == "image" and Image.open(io.BytesIO(uploaded["data"])).format == "PNG"


def test_a_dingtalk_file_goes_as_a_file_message_naming_the_uploaded_media(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    chat = Chat(desk)
    chat("owner:13800138000", "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat("owner:13800138000", "确认")
    number = chat.last_number()
    tech = "technician:" + chat.ticket(number).assignee_id
    for line in ("接单", "到达", "完工 更换阀芯"):
        chat(tech, line)
    with desk.uow() as uow:
        uow.outbox.add(Notice("manager", "M01", "confirmation", "工单的服务确认单", "pdf-to-manager", number,
                              attachment=confirmation_attachment(number)), clock())
        uow.commit()
    tick(desk, client.app.state.edges.outlets, clock())
    files = [s for s in fake.to(MANAGER) if s.kind == "file"]
    assert len(files) == 1 and files[0].text == f"{number}-confirmation.pdf"
    uploaded = fake.media[files[0].media]
    assert uploaded["type"] == "file" and number in pdf_text(uploaded["data"])
    assert any(s.text == "工单的服务确认单" for s in fake.to(MANAGER))


def test_a_dingtalk_manager_asks_for_last_months_statement_and_gets_the_workbook(
        desk: Desk, fake: FakeDingtalk, client: TestClient) -> None:
    say(client, fake, "上个月结算单 Excel", sender=MANAGER, group=None)
    files = [s for s in fake.to(MANAGER) if s.kind == "file"]
    assert len(files) == 1 and files[0].text == "statement-202610-technician.xlsx"
    uploaded = fake.media[files[0].media]
    rows = list(load_workbook(io.BytesIO(uploaded["data"])).active.iter_rows(values_only=True))
    assert uploaded["type"] == "file" and rows[0][0] == "师傅" and rows[-1][:2] == ("合计", 0)
