"""Is the fault urgent? A table of hazards people describe, and the words that soften them.

Urgent means someone should come now whatever the calendar says: water on the floor or running
downstairs, no power in the whole home, a smell of gas, smoke or sparks, someone locked out or shut
in, broken glass. A slow drip is a repair like any other, however long it has been going on.
"""
from __future__ import annotations

import re
from functools import lru_cache

# (hazard, pattern). Read after normalize(): simplified characters, half-width.
HAZARDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("flood", r"(?:地上|地面|地板上?|满地|一地|屋里|家里|整个[屋房]|厨房|卫生间|客厅)\S{0,3}(?:全|都)(?:是|湿)了?水?|"
              r"全是水|都是水|满地(?:都是)?水|水漫|漫出来|淹了|水淹|被淹|泡水|泡了|积水|"
              r"(?:漏|渗|滴|流)到?(?:了)?楼下|楼下(?:邻居|的|住户)?\S{0,8}(?:漏|渗|滴|湿|水)|楼上\S{0,6}(?:漏|渗|滴)|"
              r"跑水|爆管|(?:水管|管子|软管|阀门|接头)\S{0,2}(?:爆|崩|裂开|断)|喷水|往外喷|哗哗|"
              r"(?:水|漏)\S{0,2}(?:止不住|关不住|停不下来|堵不住)"),
    ("power", r"(?:全屋|整个屋|整个家|整个房子|全家|家里|屋里|房子|整套房|全部|所有)\S{0,4}(?:都|全)?(?:没电|断电|停电|没有电)|"
              r"总闸\S{0,3}(?:跳|合不上)|合不上闸|推不上去|漏电|电火花|打火花|冒火花|冒烟|烧焦|焦糊味|短路"),
    ("gas", r"煤气味|燃气味|天然气味|液化气味|(?:煤气|燃气|天然气)\S{0,3}(?:泄漏|漏了|漏气)|漏气|有股?气味.{0,4}(?:煤气|燃气)"),
    ("fire", r"着火|起火|失火|火灾|烧起来"),
    ("locked_out", r"进不了(?:门|家|屋)|进不去|回不了家|锁(?:在|到)(?:门)?外面?|人在外面|关在外面|"
                   r"(?<![柜橱屉])门(?:打|开)不开|开不了门|打不开门|反锁|"
                   r"困在|关在里面|出不来|出不去"),
    ("glass", r"(?:玻璃|镜子|淋浴房|浴屏|窗)\S{0,4}(?:碎|爆|炸|裂开)|自爆|碎了一地|玻璃渣"),
    ("said", r"紧急|十万火急|急死|很急|特别急|非常急|挺急|急急急|着急|急用|马上|立刻|立即|赶紧|尽快|火速|"
             r"严重|\burgent\b|\basap\b|急"),
))

# Said not to be urgent; the words are removed before the hazards are read.
_CALM = re.compile(r"不(?:太|是很|是特别|用|必|怎么)?(?:着)?急|不紧急|不赶时间|不赶|没那么急|有空再|有时间再|"
                   r"慢慢来|[打点]不着火|不严重|不算严重|不用马上")
# A slow drip or a little seepage: "一直滴" and "关不紧" are still a drip.
_DRIP = re.compile(r"滴答|嘀嗒|滴滴答答|一滴一滴|慢慢(?:地|的)?[滴渗]|有点[渗漏滴]|一点点|轻微|小小的|偶尔|渗水|"
                   r"关不紧|有点潮|有水印|水渍")


_STRONG_FLOOD = re.compile(r"全是水|都是水|满地|水漫|淹|楼下|爆|喷|哗哗")


@lru_cache(maxsize=1024)   # a message's description is read here by the extraction and again by the form
def hazard(text: str) -> str | None:
    """The hazard the text describes ("flood", "power", "gas", …, "said"), or None."""
    calm = _CALM.sub(" ", text.lower())
    for name, pattern in HAZARDS:
        if name == "flood" and _DRIP.search(calm) and not _strong_flood(calm):
            continue
        if pattern.search(calm):
            return name
    return None


def _strong_flood(text: str) -> bool:
    """Water on the floor or downstairs is urgent even when it began as a drip."""
    return bool(_STRONG_FLOOD.search(text))


def is_urgent(text: str) -> bool:
    return hazard(text) is not None
