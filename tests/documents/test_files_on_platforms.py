"""Pictures and files through WeCom's fake, the way the platform takes them: uploaded with
media/upload first, then sent as an image or file message naming the media_id it issued."""
from __future__ import annotations

import io

import pypdfium2 as pdfium
from PIL import Image

from bot.bootstrap import Desk
from tests.conftest import Chat, FakeClock
from tests.e2e.test_wecom_flow import OWNER as KF_OWNER, kf_text, report_and_confirm, the_ticket
from tests.fakes.wecom import Callbacks, FakeWecom, fake, wecom  # noqa: F401

WECOM_MANAGER = "zhengguohua"   # M01 in the demo staff


def pdf_text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def test_a_wecom_manager_gets_todays_figures_as_text_then_an_uploaded_picture(
        desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    wecom.text(WECOM_MANAGER, "今日统计")
    got = fake.to(WECOM_MANAGER)
    kinds = [m["msgtype"] for m in got]
    assert kinds == ["text", "image"], kinds
    assert "今日统计" in got[0]["body"]["text"]["content"]
    media_id = got[1]["body"]["image"]["media_id"]
    upload = next(u for u in fake.uploads if u["media_id"] == media_id)
    assert (upload["type"], upload["app"]) == ("image", "app") and upload["filename"].endswith(".png")
    assert Image.open(io.BytesIO(fake.media[media_id])).size == (900, 630)


def test_a_wechat_owner_asks_for_the_confirmation_and_gets_the_pdf_through_kf(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock) -> None:
    report_and_confirm(wecom, fake)
    ticket = the_ticket(desk)
    console = Chat(desk)
    for line in ("接单", "到达", "完工 更换阀芯"):
        console(f"technician:{ticket.assignee_id}", line)
    wecom.customer(KF_OWNER, "修好了", menu_id="修好了")
    wecom.customer(KF_OWNER, "确认单")
    sent = fake.kf_to(KF_OWNER)
    files = [m for m in sent if m["msgtype"] == "file"]
    assert len(files) == 1, [m["msgtype"] for m in sent]
    assert any("服务确认单" in kf_text(m) for m in sent if m["msgtype"] in ("text", "msgmenu"))
    media_id = files[0]["file"]["media_id"]
    upload = next(u for u in fake.uploads if u["media_id"] == media_id)
    assert (upload["type"], upload["app"]) == ("file", "kf")   # the 微信客服 app's token uploads its files
    text = pdf_text(fake.media[media_id])
    assert ticket.number in text and "138****8000" in text and "更换阀芯" in text
