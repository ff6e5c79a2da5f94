"""Which skill a job needs (its product's, else read from the words via the catalog), and whether it runs 24x7.

The catalog already says, for every product, its category, the words owners use for it
(aliases) and the skill that fixes it; those are the vocabulary. A few everyday words
that name no product (水管, 跳闸) are added for skills the catalog has. The longest word
found decides; two skills tied on it means the words are ambiguous, and a dispatcher decides.
"""
from __future__ import annotations

from collections.abc import Iterable

from domain.calendar import AroundTheClock
from domain.model import Product
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.ticket import Ticket

# Words about a trade rather than a product; used only for skills the catalog actually has.
TRADE_WORDS: dict[str, tuple[str, ...]] = {
    "plumbing": ("水管", "漏水", "渗水", "水龙头", "下水道", "堵了", "堵塞", "爆管", "水压", "排水"),
    "electrical": ("跳闸", "漏电", "插座", "电路", "短路", "没电", "断电", "电线", "浴霸", "排气扇", "灯"),
    "carpentry": ("柜门", "合页", "铰链", "门框"),
    "lock": ("锁芯", "开不了门", "打不开门"),
    "window": ("玻璃", "窗框", "纱窗"),
    "flooring": ("地板", "起拱"),
}


def vocabulary(products: Iterable[Product]) -> dict[str, set[str]]:
    """Word -> the skills it points to, from the catalog's categories and aliases plus trade words."""
    words: dict[str, set[str]] = {}
    skills: set[str] = set()
    for p in products:
        if not p.skill:
            continue
        skills.add(p.skill)
        for word in (p.category, *p.aliases):
            if word:
                words.setdefault(word, set()).add(p.skill)
    for skill, extra in TRADE_WORDS.items():
        if skill in skills:
            for word in extra:
                words.setdefault(word, set()).add(skill)
    return words


def infer_skill(description: str, products: Iterable[Product]) -> str:
    """The one skill the description points to, or "" when none or more than one fits."""
    best_len, found = 0, set[str]()
    for word, skills in vocabulary(products).items():
        if word in description:
            if len(word) > best_len:
                best_len, found = len(word), set(skills)
            elif len(word) == best_len:
                found |= skills
    return next(iter(found)) if len(found) == 1 else ""


def around_the_clock(ticket: Ticket, rules: Rules) -> bool:
    """The ticket's SLA runs every hour of the day (a 24x7 policy): nobody may wait for the morning."""
    policy = rules.policy(ticket.type, ticket.priority)
    return policy is not None and isinstance(rules.calendars.get(policy.calendar), AroundTheClock)


def job_skill(uow: UnitOfWork, ticket: Ticket) -> str:
    """The product's skill, else the one the owner's words point to ("" when they do not say)."""
    return skill_of(uow, ticket, uow.catalog.product(ticket.product_sku) if ticket.product_sku else None)


def skill_of(uow: UnitOfWork, ticket: Ticket, product: Product | None) -> str:
    """As `job_skill`, with the ticket's product already at hand."""
    if product is not None and product.skill:
        return product.skill
    return infer_skill(ticket.description, uow.catalog.products())
