"""Incidents: many reports, one cause. Pure rules: which fault kind a report is, which reports are a
burst at one place, and which unit is above a ceiling leak. Storage and notices live elsewhere."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.ticket import Ticket


@dataclass(frozen=True)
class FaultKind:
    code: str
    name: str                     # as dispatchers and owners read it: 停水, 停电, 电梯停了, 楼上漏水
    words: tuple[str, ...]
    from_above: bool = False      # water through the ceiling: the unit above may be the cause


DEFAULT_KINDS = (
    FaultKind("water_off", "停水", ("停水", "没水", "没有水", "不出水", "水停了")),
    FaultKind("power_off", "停电", ("停电", "没电", "断电", "整栋跳闸")),
    FaultKind("lift", "电梯停了", ("电梯停", "电梯坏", "电梯不动", "电梯故障", "困电梯", "电梯不能用")),
    FaultKind("ceiling_leak", "楼上漏水", ("楼上漏水", "天花板漏水", "天花板滴水", "顶上漏水", "吊顶渗水", "屋顶漏水"),
              from_above=True),
)


@dataclass(frozen=True)
class IncidentPolicy:
    window: timedelta = timedelta(hours=2)
    threshold: int = 3            # this many reports of one kind at one place within the window
    kinds: tuple[FaultKind, ...] = field(default=DEFAULT_KINDS)
    enabled: bool = True
    contact_phone: str = ""       # the property office: the customer of the cause ticket ("" = first report)
    cause_type: str = ""          # the cause ticket's type ("" = the default type)


@dataclass(frozen=True)
class Report:
    number: str
    customer_id: int
    community: str
    building: str
    unit: str
    room: str
    kind: str
    created_at: datetime

    @property
    def place(self) -> tuple[str, str, str]:
        return self.kind, self.community, self.building


def fault_kind(description: str, kinds: Sequence[FaultKind]) -> FaultKind | None:
    text = re.sub(r"\s+", "", description)
    return next((k for k in kinds if any(w in text for w in k.words)), None)


def bursts(reports: Sequence[Report], policy: IncidentPolicy, now: datetime) -> list[list[Report]]:
    """Groups of reports of one kind in one building (or one community, when no building is known)
    that reach the threshold within the window ending now; oldest first."""
    recent = [r for r in reports if now - policy.window <= r.created_at <= now and r.community]
    groups: dict[tuple[str, str, str], list[Report]] = {}
    for r in sorted(recent, key=lambda r: r.created_at):
        groups.setdefault(r.place, []).append(r)
    return [g for g in groups.values() if len({r.customer_id for r in g}) >= policy.threshold]


def unit_above(room: str) -> str | None:
    """501 -> 601, 1203 -> 1303: the room on the next floor; None when the number has no floor in it."""
    digits = room.strip()
    if not re.fullmatch(r"\d{3,4}", digits):
        return None
    return f"{int(digits[:-2]) + 1}{digits[-2:]}"


LEAK_WORDS = ("漏水", "渗水", "滴水", "爆管", "水管破", "跑水")


def is_leak(description: str) -> bool:
    return any(w in description for w in LEAK_WORDS)


def dispatch_text(kind: str, community: str, building: str, numbers: Sequence[str], cause: str = "") -> str:
    where = f"{community}{building + '栋' if building else ''}"
    head = f"【批量故障】{where}「{kind}」{len(numbers)} 单，可能是同一原因"
    if cause and cause not in numbers:
        head += f"，已开排查工单 {cause} 统一派单，各户工单挂起等待，不再逐单派师傅"
    else:
        head += "，请派一位师傅排查"
    return f"{head}：\n" + "\n".join(numbers) + f"\n已恢复时可回复：故障解除 {cause or numbers[0]}"


def owner_text(kind: str, community: str, building: str, number: str) -> str:
    where = f"{community}{building + '栋' if building else ''}"
    return (f"工单 {number}：{where}多户反映「{kind}」，我们已知悉，正在统一处理，"
            f"修复后会第一时间通知您。")


def resolved_text(kind: str, number: str) -> str:
    return f"工单 {number}：「{kind}」的问题已处理完毕。如您家中仍有问题，请直接回复说明。"


# --- one owner, one product, one problem ---------------------------------------------------------

SAME_PROBLEM_QUESTION = "您的{product}已有一张进行中的工单 {number}（{state}）。是同一个问题吗？"
SAME_PROBLEM_BUTTONS = ("是同一个问题", "不是，新报修")


def same_problem(open_tickets: Sequence[Ticket], customer_id: int, product_sku: str | None) -> Ticket | None:
    """The owner's newest open ticket on the same product: a new report about it is probably the same
    fault told again (asked back, never merged on a guess)."""
    if not product_sku:
        return None
    mine = [t for t in open_tickets if t.customer_id == customer_id and t.product_sku == product_sku and t.is_open]
    return max(mine, key=lambda t: t.created_at, default=None)


def add_to_ticket(ticket: Ticket, words: str, actor: str, now: datetime) -> None:
    """On "yes": the new words join the open ticket's description, and the trail says so."""
    extra = words.strip()
    if extra and extra not in ticket.description:
        ticket.description = f"{ticket.description}\n补充（{now:%m-%d %H:%M}）：{extra}"[:2000]
    ticket.record("same_problem", actor, now, extra[:300])
