"""Hello, are you there, thanks, bye: a whole message of courtesy gets a courteous answer, per role."""
from __future__ import annotations

import re

from domain.model import Role
from handlers.text import normalize

_GREET = frozenset({"你好", "您好", "你们好", "大家好", "哈喽", "嗨", "hi", "hello", "hey", "早", "早上好", "上午好",
                    "中午好", "下午好", "晚上好", "你好呀", "您好呀", "喂"})
_PRESENT = frozenset({"在吗", "在不在", "在么", "有人吗", "有人在吗", "人呢", "客服", "客服在吗"})
_THANKS = frozenset({"谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "谢了", "非常感谢", "谢谢啦", "辛苦了", "辛苦",
                     "麻烦了", "谢谢师傅", "thanks", "thank you", "thankyou", "thx"})
_BYE = frozenset({"再见", "拜拜", "bye"})
# "好的，谢谢！" is thanks; the acknowledgement in front adds nothing.
_ACK = re.compile(r"^(?:好的|好滴|好|嗯嗯|嗯|ok|okay|行|收到)")
_PARTICLES = "啊呀吧哦噢呢啦哈嘛~"
_NON_WORD = re.compile(r"[\W_]+")

_OWNER_HOW = ("需要维修直接描述问题和地址即可，例如「厨房水龙头漏水了，翠湖花园3栋2单元501」；"
              "回复「进度」查看工单，「帮助」查看全部指令。")
_OWNER = {
    "greet": "您好！我是报修助手。" + _OWNER_HOW,
    "present": "在的！" + _OWNER_HOW,
    "thanks": "不客气！有需要随时找我。",
    "bye": "再见，有需要随时找我。",
}
_TECHNICIAN = {
    "greet": "您好，师傅！回复「我的工单」查看手头的工单，「帮助」查看全部指令。",
    "present": "在的！回复「我的工单」查看手头的工单，「帮助」查看全部指令。",
    "thanks": "不客气，辛苦了！",
    "bye": "再见，辛苦了！",
}
_DISPATCHER = {
    "greet": "您好！回复「待派单」查看待派的工单，「帮助」查看全部指令。",
    "present": "在的！回复「待派单」查看待派的工单，「帮助」查看全部指令。",
    "thanks": "不客气！",
    "bye": "再见！",
}
_MANAGER = {**_DISPATCHER, "greet": "您好！回复「今日统计」查看今天的数字，「帮助」查看全部指令。",
            "present": "在的！回复「今日统计」查看今天的数字，「帮助」查看全部指令。"}
_BY_ROLE = {Role.OWNER: _OWNER, Role.TECHNICIAN: _TECHNICIAN, Role.DISPATCHER: _DISPATCHER,
            Role.ADMIN: _DISPATCHER, Role.MANAGER: _MANAGER}


def kind(text: str) -> str | None:
    """"greet", "present", "thanks", "bye", or None when the message says anything more."""
    words = _NON_WORD.sub(" ", normalize(text).lower()).strip()
    words = words.replace(" ", "") if not words.isascii() else words
    words = words.rstrip(_PARTICLES) or words
    bare = _ACK.sub("", words).strip() or words
    for name, table in (("greet", _GREET), ("present", _PRESENT), ("thanks", _THANKS), ("bye", _BYE)):
        if words in table or bare in table or bare.rstrip(_PARTICLES) in table:
            return name
    return None


def answer(role: Role, text: str) -> str | None:
    """The courteous answer, or None when the message is not only a courtesy."""
    found = kind(text)
    if found is None:
        return None
    return _BY_ROLE.get(role, _DISPATCHER)[found]

