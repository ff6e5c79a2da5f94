"""A new job proposes the parts that fixed the same product with the same fault before."""
from __future__ import annotations

from domain.proposals import fault_words, rank
from storage.tables import StockRow
from tests.conftest import Chat, FakeClock
from tests.handlers.test_customer_parts import OWNER, seed


def job(chat: Chat, clock: FakeClock, description: str, used: str) -> None:
    chat(OWNER, description)
    chat(OWNER, "确认")
    tech = "technician:" + chat.ticket(chat.last_number()).assignee_id
    for line in ("接单", "到达", f"完工 已处理 配件:{used}"):
        chat(tech, line)
    chat(OWNER, "修好了")
    clock.advance(hours=1)


def test_fault_words_are_read_from_the_description() -> None:
    assert fault_words("厨房龙头一直在滴水") == {"漏水"}
    assert fault_words("热水器点不着火，还有异响") == {"加热", "异响"}
    usage = [("P-VALVE", 3, "龙头关不紧"), ("P-HOSE", 1, "下面漏水"), ("P-HOSE", 1, "接口渗水")]
    assert rank(usage, frozenset({"漏水"})) == ["P-HOSE", "P-VALVE"]
    assert rank(usage, frozenset()) == ["P-VALVE", "P-HOSE"]


def test_the_technician_and_the_desk_are_told_what_fixed_this_fault_on_this_product(chat: Chat,
                                                                                    clock: FakeClock) -> None:
    seed(chat.desk)
    with chat.desk.uow() as uow:
        uow.session.get(StockRow, ("P-HOSE", "WH-MAIN")).quantity = 10
        uow.commit()
    job(chat, clock, "厨房的龙头关不紧", "P-VALVE x3")
    job(chat, clock, "厨房的龙头下面漏水", "P-HOSE x1")
    chat(OWNER, "厨房的龙头又漏水了")
    out = chat(OWNER, "确认")
    tech = chat.ticket(chat.last_number()).assignee_id
    offer = chat.to(f"technician:{tech}", out)
    assert "建议备件：P-HOSE 进水软管（可用 9）、P-VALVE 陶瓷阀芯（可用 2）" in offer
    desk = chat.to("dispatcher:D01", out)
    assert f"【备件建议】{chat.last_number()} 建议备件：P-HOSE 进水软管" in desk
    asked = chat(OWNER, "厨房的龙头关不紧了") + chat(OWNER, "确认")
    assert "是同一个问题吗" in asked                 # the last job is still open: asked first
    out = chat(OWNER, "不是，新报修")
    assert "建议备件：P-VALVE 陶瓷阀芯（可用 2）、P-HOSE 进水软管（可用 9）" in out
