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


def test_people_see_technician_names_chinese_labels_and_one_score_rounding(chat: Chat) -> None:
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    assert "师傅：王建国（T01）" in chat("dispatcher:D01", f"工单 {number}")
    assert f"{number} 已派单 普通" in chat("dispatcher:D01", "待派单") and "→ 王建国（T01）" in chat.out[-1]
    out = shown(chat, number)
    assert "· 普通 · 已派单" in out and "normal" not in out.split("\n")[0]
    assert "保修 保修未知" in out and "保修 unknown" not in out
    assert "师傅 王建国（T01）" in out
    score = next(line for line in out.splitlines() if line.strip().startswith("T01 王建国")).split()[2][:5]
    assert f"T01（得分 {score}）" in out   # the trail and the explanation agree to the last digit
