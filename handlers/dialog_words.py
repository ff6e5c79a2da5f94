"""Owners' words as the report dialog reads them: yes, cancel, a visit time in passing, fillers."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from handlers import catalog_cache
from handlers.extract import CatalogItem, Extracted, extract, is_affirmative
from handlers.text import normalize
from storage.uow import SqlUnitOfWork


_CANCEL = re.compile(r"^(?:那|那就|还是|我|我们|哦|额|嗯)?\s*(?:先|就)?\s*(?:算了|不报了|不修了|不用了|不要了|不需要了|"
                     r"不用修了|不用来了|不用上门了|取消|撤销|不弄了|不麻烦了|不搞了|cancel)")


# "好的 嗯嗯 提交吧": a yes in words people use; anything else left over (不, 但是…) makes it not a yes.
_YES_WORDS = sorted(("确认", "确定", "提交", "对", "是", "好", "行", "可以", "没错", "没问题", "嗯", "恩", "ok", "okay",
                     "yes", "yep", "正确", "就这样", "就这么办", "对头", "中", "妥", "好嘞", "好滴", "无误", "信息",
                     "麻烦", "谢谢", "了", "吧", "的", "啊", "呀", "哈", "哦", "噢", "那", "就", "都",
                     "帮我", "你", "一下", "直接", "嘞", "啦", "去", "呗", "滴", "👍", "👌", "✅", "🙏", "收到",
                     "确认无误", "可", "係", "得", "好咧"), key=len, reverse=True)


_YES_RE = re.compile("|".join(re.escape(w) for w in _YES_WORDS))


_NOT_YES = re.compile(r"不|没|别|错|改|换|但|不过|还有|还要|吗|\?|？")   # a question is not a yes


_YES_DESPITE = re.compile(r"没错|没问题|不错|冇问题")   # yeses spelt with a 不 or 错 in them


_YES_DIALECT = ("要得", "系", "系啊", "好额", "对额", "是额", "得嘞", "妥了", "成", "de", "嗯呐", "中嘞")
_YES_DIALECT_RE = tuple(re.compile(rf"(?<![a-z]){word}(?![a-z])") for word in _YES_DIALECT)
_NON_WORD = re.compile(r"[\W_]+")
_NUMBERS_ONLY = re.compile(r"[\d\W_]*")
_PAUSES = re.compile(r"[，,。.!！\s]+")
_BUT = re.compile(r"(?:但|不过|可是|就是|只是)")


VISIT = re.compile(r"上门|过来|来修|来看|来一趟|来处理|在家|有人|有空|方便|预约|约在|约个|安排|时间|来吧|上午来|下午来|"
                    r"晚上来|能来|可以来|才在|才有人")


NO_ROOM = ("公共区域", "没有房号", "无房号", "没有", "无", "楼道", "大堂", "公区", "电梯间", "地下室", "车库")


WORDLESS = re.compile(r"[\W_]*")


ONLY_INTENT = re.compile(r"^(?:我|我们)?(?:要|想|需要)?(?:投诉|报修|维修|退货|换货|退换货|安装|报个修)(?:一下|了)?$")


_FILLER = re.compile(r"^(?:嗯+|呃+|额+|那个|就是|然后|还有|对了|哦+|啊+|喂|你好|您好|在吗|麻烦|师傅|请问)+$")


# Parts of the house, not products we sell: a fault in one is reported without a product.
HOUSE_PART = re.compile(r"墙|天花板|顶棚|吊顶|屋顶|楼板|地砖|瓷砖|管道|水管|下水管|暖气|电路|插座|开关|电线|灯|楼道|窗台|外墙|防水")


PHONE_LABEL = re.compile(r"电话|手机|号码|联系|打我|打这个|call|tel", re.IGNORECASE)


MORE = re.compile(r"^(?:而且|另外|还有|现在|已经|又|还是|还在|越来越|更)")


_FOLLOW_UP = re.compile(r"^(?:怎么|咋|为什么|为啥)?(?:还是|又|仍然|依然|还在|还|一直还)")


def yes_and(text: str) -> str:
    """"可以可以 麻烦尽快" -> "麻烦尽快": the rest after a yes in the first words, or "" when it is no yes."""
    head, _, rest = _PAUSES.sub(" ", normalize(text)).strip().partition(" ")
    if not rest or not is_yes(head) or _BUT.match(rest):
        return ""
    return rest


def is_cancel(text: str) -> bool:
    return bool(_CANCEL.match(normalize(text).lower()))


def is_yes(text: str) -> bool:
    norm = normalize(text).lower()
    if is_affirmative(norm):
        return True
    norm = _YES_DESPITE.sub("好", norm)
    if _NOT_YES.search(norm):
        return False
    for dialect in _YES_DIALECT_RE:   # one after another: a word made by an earlier one counts
        norm = dialect.sub("好", norm)
    rest = _YES_RE.sub("", norm)
    return bool(_YES_RE.search(norm)) and not _NON_WORD.sub("", rest)


# At the summary, a push to hurry or to leave it to us is a yes: 快点 / 尽快安排 / 你们看怎么处理吧.
_GO_AHEAD = re.compile(r"^(?:那|就|那就|麻烦|请)*(?:快点|快一点|赶紧|尽快|抓紧|快来|早点来|你们看着办|看着办|"
                       r"你们?看怎么处理|你们处理|交给你们|安排吧|尽快安排|快点安排|提交吧|发吧|报上去)"
                       r"(?:安排|处理|来|过来|一下|吧|啊|呀|哦|了)*[\W_]*$")


def is_go_ahead(text: str) -> bool:
    return bool(_GO_AHEAD.match(normalize(text).lower().replace(" ", "")))


@dataclass(frozen=True)
class Heard:
    """One message as the dialog sees it."""

    text: str
    found: Extracted
    now: datetime
    taken: list[str] = field(default_factory=list)     # what it added to the draft, for the acknowledgement

    @property
    def leftover(self) -> str:
        """The words that are not an address, a phone or a filler."""
        words = self.found.description.strip()
        if _FILLER.match(words) or is_yes(words) or _NUMBERS_ONLY.fullmatch(words):
            return ""   # a stray number ("1203" already taken as the room) is no product or story
        return words


def catalog(uow: SqlUnitOfWork) -> Sequence[CatalogItem]:
    return catalog_cache.snapshot(uow).products


def read(uow: SqlUnitOfWork, text: str) -> Extracted:
    held = catalog_cache.snapshot(uow)
    return extract(text, held.products, held.communities)


def looks_like_report(found: Extracted) -> bool:
    """A fault, a product, or part of an address: enough to open a draft and ask for the rest."""
    return bool(found.products or found.ticket_type or found.room or found.category or found.urgent
                or found.community or found.building or found.unit)


def follows_up(found: Extracted) -> bool:
    """"还是在漏", "又坏了": about something already reported, unless a product or place is named."""
    named = found.products or found.community or found.building or found.room or found.unit
    return bool(_FOLLOW_UP.match(found.text)) and not named
