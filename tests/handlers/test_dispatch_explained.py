"""`ticket show` explains a dispatch: the weights, every candidate, why the winner won, who was left out."""
from __future__ import annotations

from bot.views import ticket_text, ticket_view
from tests.conftest import Chat

OWNER = "owner:13800138000"


def shown(chat: Chat, number: str) -> str:
    with chat.desk.uow() as uow:
        return ticket_text(ticket_view(uow, uow.tickets.get(number), chat.desk.rules, trail=True))


def test_ticket_show_names_the_weights_the_tie_break_and_everyone_left_out(chat: Chat) -> None:
    chat("technician:T04", "下班")
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    out = shown(chat, number)
    assert "权重：区域0.4，空闲0.25，一次修复0.15，评分0.1，等待0.1" in out
    # T01 and T10 are both in 西湖区, idle and new: equal scores, the lower id wins, and it says so.
    assert "胜出：T01 得分最高（与 T10 同分，同分时编号小者优先）" in out
    assert "未考虑：不在岗 ×1（T04 刘洋）" in out          # filtered out in SQL, still explained
    assert "未考虑：无plumbing技能 ×6" in out
