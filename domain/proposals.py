"""Which spare parts a new job probably needs: what fixed the same product with the same fault before.

Fault words are read from the owner's description; a part used on earlier jobs for this product
with a shared fault ranks above one used on this product for something else, and parts that
merely fit the product come last."""
from __future__ import annotations

import re

from domain.model import Part
from domain.ports import PartsRead, UnitOfWork
from domain.ticket import Ticket

# one canonical fault per group of ways owners say it
FAULTS: dict[str, re.Pattern[str]] = {name: re.compile(pattern) for name, pattern in {
    "漏水": r"漏|滴水|渗水|渗|跑水|爆管|喷水",
    "出水": r"不出水|出水小|水压小|水小|没水",
    "堵塞": r"堵|冲不下去|下水慢",
    "开关": r"关不上|关不紧|关不住|拧不动|打不开|开不了|锁不上",
    "供电": r"没电|没反应|不亮|跳闸|漏电|报错|失灵|不工作",
    "加热": r"不加热|不热|点不着|打不着|没热水",
    "异响": r"响|异响|噪音",
    "松动": r"松|晃|脱落|掉了",
    "破损": r"断|裂|破|变形",
    "异味": r"异味|反味|返臭|臭",
}.items()}
LIMIT = 4


def fault_words(text: str) -> frozenset[str]:
    return frozenset(name for name, pattern in FAULTS.items() if pattern.search(text or ""))


def rank(usage: list[tuple[str, int, str]], faults: frozenset[str]) -> list[str]:
    """Part SKUs from (part, quantity, description of the job it was used on): same fault first."""
    same: dict[str, int] = {}
    total: dict[str, int] = {}
    for sku, quantity, description in usage:
        total[sku] = total.get(sku, 0) + quantity
        if faults & fault_words(description):
            same[sku] = same.get(sku, 0) + quantity
    return sorted(total, key=lambda sku: (-same.get(sku, 0), -total[sku], sku))


def propose(uow: UnitOfWork, ticket: Ticket, limit: int = LIMIT,
            read: PartsRead | None = None) -> list[tuple[Part, int]]:
    """The likeliest parts for this job, each with how many are free across all stock (`read`: the
    product's used and fitting parts, when already read with the job's other facts)."""
    if not ticket.product_sku:
        return []
    usage, fitting = read if read is not None else uow.parts.usage_and_fitting(ticket.product_sku)
    skus = rank(usage, fault_words(ticket.description))
    skus += [p.sku for p in fitting if p.sku not in skus]
    found = [uow.parts.part(sku) for sku in skus[:limit]]
    return [(p, sum(s.free for s in uow.parts.stock(p.sku))) for p in found if p]


def proposal_line(uow: UnitOfWork, ticket: Ticket, read: PartsRead | None = None) -> str:
    """One line for a job card or a notice; empty when nothing is known to fit."""
    proposed = propose(uow, ticket, limit=3, read=read)
    if not proposed:
        return ""
    return "建议备件：" + "、".join(f"{p.sku} {p.name}（可用 {free}）" for p, free in proposed)
