"""What the conversation layer says when it asks back, confirms or answers questions. One place."""
from __future__ import annotations

from collections.abc import Sequence


def guess(labels: Sequence[str]) -> str:
    if len(labels) == 1:
        return f"您是想「{labels[0]}」吗？请点按钮确认，或换个说法。"
    return "您是想" + "还是".join(f"「{label}」" for label in labels) + "？请点选一个，或换个说法。"


def not_understood(labels: Sequence[str]) -> str:
    tail = "您可能是想：" + "、".join(f"「{x}」" for x in labels) + "。" if labels else ""
    return "抱歉，我没看懂。" + tail + "回复「帮助」查看全部说法。"


def which_ticket(numbers: Sequence[str]) -> str:
    return f"您有多张工单：{'、'.join(numbers)}。是哪一张？"


def which_technician(names: Sequence[str]) -> str:
    return f"有{len(names)}位师傅都能对上：{'、'.join(names)}。是哪一位？"


NO_CHANGE = "好的，不做改动。"
CONFIRM_CANCEL = ("确认取消", "不取消")
CONFIRM_REOPEN = ("是，还没修好", "不是")
CONFIRM_REASSIGN = ("确认派单", "先不派")


def cancel_question(number: str) -> str:
    return f"确定要取消工单 {number} 吗？取消后师傅不会再上门。如只是想改时间，请说「改时间」。"


def reopen_question(number: str) -> str:
    return f"是说工单 {number} 修过之后还是有问题吗？确认后我们会重新打开工单，安排师傅再次上门。"


def reassign_question(number: str, who: str, current: str) -> str:
    extra = f"（现在是 {current}）" if current else ""
    return f"确认把工单 {number} 派给 {who} 吗？{extra}"


def period_unknown(text: str) -> str:
    return (f"没看懂要统计哪段时间（「{text[:20]}」）。请说：今天、昨天、本周、上周、本月、上个月，"
            "或日期范围，例如「11月1号到15号」。")


def hours(business_hours: Sequence[str], weekend_visits: bool, holiday_visits: bool) -> str:
    spans = "、".join(business_hours) or "09:00-18:00"
    weekend = "周末可以预约上门" if weekend_visits else "周末不安排上门，可预约工作日"
    holiday = "法定节假日可预约上门" if holiday_visits else "法定节假日不安排上门（按国家调休安排）"
    return (f"客服工作时间：工作日 {spans}。{weekend}；{holiday}。\n"
            "在线报修随时可以提交，紧急情况（漏水、断电、燃气味、进不了门）会优先安排。")


def reschedule_asked(number: str, when: str, told: str) -> str:
    asked = f"改到 {when}" if when else "改个时间"
    return f"收到，已把您想{asked}的要求转给{told}（工单 {number}），对方会尽快与您确认新的上门时间。"


def appointment_cancelled(number: str, told: str) -> str:
    return f"好的，工单 {number} 原定的上门时间已取消，工单仍然保留。{told}会再与您约时间。"


def handed_back(number: str) -> str:
    return f"已把工单 {number} 交回派单员重新安排（已回到待派单），谢谢说明。"


def reopened(number: str) -> str:
    return f"抱歉给您添麻烦了！工单 {number} 已重新打开，原来的师傅会尽快再次上门。"


# whose words a command is, and what each role can say instead: told when someone types another
# role's command, in place of a bare refusal
_TECHNICIANS = ("accept", "reject", "book", "depart", "arrive", "hold", "resume", "finish", "my_jobs", "on_duty",
                "off_duty", "reserve")
_DISPATCHERS = ("proxy", "assign", "priority", "queue", "callbacks", "callback_done")
_DESK = ("proxy", "assign", "priority", "queue", "show", "stats", "customer", "callbacks", "callback_done")
CAN = {
    "owner": "直接描述问题就能报修；也可以说「进度」「催单」「改时间」「取消」「修好了 / 没修好」、评分 1-5、「确认单」。",
    "technician": "说「接单 / 拒单」「明天下午3点过去」「出发」「到了」「等配件 先挂起」「继续」「弄好了 换了根软管」、"
                  "「这单做不了 退回」「我的工单」「上班 / 下班」。",
    "dispatcher": "说「代客报修 …」「让小李去一趟」「这单加急」「待派单」「小李手上有几单」「工单 BX…」「查一下 手机号」「待回访」、"
                  "「本周统计」「超时的单」。",
    "manager": "说「今天 / 本周 / 本月统计」「11月1号到15号的统计」「超时的单」「师傅排行」「按区域 / 按产品」、"
               "「工单 BX…」「小李手上有几单」「查一下 手机号」。",
}


def other_role(word: str, verb: str, role: str) -> str:
    whose = "师傅" if verb in _TECHNICIANS else "派单员" if verb in _DISPATCHERS else \
        "派单员和主管" if verb in _DESK else "业主"
    said = f"「{word}」" if word else "这个操作"
    return f"{said}是{whose}用的，您这里用不上。您可以：{CAN.get(role, CAN['dispatcher'])}"


def complaint_taken() -> str:
    return "非常抱歉给您带来不便。我们会把这件事作为投诉交给客服主管处理。"
