"""Which product a report is about: the customer's own purchases first, then the catalog.

A customer's purchases (and the addresses they are installed at) are used only when we know who is
speaking: a console owner, a chat bound to the customer (绑定), a phone the platform vouches for,
or the service desk filing for a caller. A number someone merely typed is contact information, so
typing a neighbour's number never shows the neighbour's address, purchases or warranty.
"""
from __future__ import annotations

from typing import Protocol

from domain.model import Asset, Customer, Product, Role
from domain.parts import yuan
from handlers.base import Ctx
from handlers.extract import CatalogItem, Extracted, match_products
from storage.uow import SqlUnitOfWork

ADDRESS_PARTS = ("community", "building", "unit", "room")
NONE_OF_THESE = ("都不是", "不是", "其他", "都不对", "0")
CLOSE = 3.0          # catalog matches within this many points of the best are "unsure"
MAX_CHOICES = 4


class Draft(Protocol):
    """What this module reads of handlers.report.Draft (which imports this module)."""

    type: str
    facts: dict[str, str]
    for_desk: bool


def verified_customer(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> Customer | None:
    phone = draft.facts.get("phone")
    if not phone:
        return None
    if draft.for_desk:
        return uow.people.customer_by_phone(phone)
    if ctx.actor.role is Role.OWNER and ctx.actor.id and ctx.phone == phone:
        return uow.people.customer(int(ctx.actor.id))
    return None


def owned(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> list[tuple[Asset, Product]]:
    customer = verified_customer(ctx, uow, draft)
    if customer is None or customer.id is None:
        return []
    pairs = [(a, uow.catalog.product(a.sku)) for a in uow.people.assets(customer.id)]
    return [(a, p) for a, p in pairs if p is not None]


def match(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, found: Extracted) -> None:
    """Take the one purchase that fits, or ask when several do; else note close catalog alternatives."""
    f = draft.facts
    if "asset" in f or "choices" in f or "choices_done" in f:
        return
    mine = owned(ctx, uow, draft)
    if not mine:
        _catalog_alternatives(f, found)
        return
    items = [CatalogItem(str(a.id), p.name, p.category, p.aliases) for a, p in mine]
    hits = list(match_products(found.text, items)) if found.text else []
    product = uow.catalog.product(f["product"]) if f.get("product") else None
    category = found.category or (product.category if product else None)
    ids = [h.sku for h in hits] + [str(a.id) for a, p in mine if category and p.category == category]
    ids = list(dict.fromkeys(ids))
    if len(ids) == 1 or (len(hits) >= 2 and hits[0].score - hits[1].score >= 10):
        take_asset(uow, draft, next(a for a, _ in mine if str(a.id) == ids[0]))
    elif len(ids) > 1:
        f["choices"] = "|".join(ids[:MAX_CHOICES])
    else:
        _catalog_alternatives(f, found)


def _catalog_alternatives(f: dict[str, str], found: Extracted) -> None:
    """Several catalog products about as likely as the one taken: offered by number at confirmation."""
    best = found.products[0] if found.products else None
    if best is None or f.get("product") != best.sku or "alternatives" in f:
        return
    close = [m.sku for m in found.products[1:] if best.score - m.score < CLOSE]
    if close:
        f["alternatives"] = "|".join([best.sku, *close][:MAX_CHOICES])


def take_asset(uow: SqlUnitOfWork, draft: Draft, asset: Asset) -> None:
    """The purchase also tells where it is installed, unless the owner said otherwise."""
    f = draft.facts
    f.update(asset=str(asset.id), product=asset.sku)
    for key in ("product_text", "choices", "alternatives"):
        f.pop(key, None)
    site = uow.places.site(asset.site_id) if asset.site_id else None
    if site is not None and not any(f.get(part) for part in ADDRESS_PARTS):
        f.update(community=site.community, building=site.building, unit=site.unit, room=site.room)


def choose(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, text: str) -> str | None:
    """The answer to the purchases question; a message back when it is not one of the choices."""
    f = draft.facts
    ids = f.get("choices", "").split("|")
    text = text.strip()
    if text in NONE_OF_THESE or text == str(len(ids) + 1):
        for key in ("choices", "product", "alternatives"):   # the guess was one of these: ask again
            f.pop(key, None)
        f["choices_done"] = "1"   # not asked again in this report
        return None
    if text.isdigit() and 1 <= int(text) <= len(ids):
        mine = {str(a.id): a for a, _ in owned(ctx, uow, draft)}
        if ids[int(text) - 1] in mine:
            take_asset(uow, draft, mine[ids[int(text) - 1]])
            return None
    return f"请回复 1 到 {len(ids) + 1} 的序号（{len(ids) + 1} 表示都不是）。"


def choice_buttons(draft: Draft) -> tuple[str, ...]:
    n = len(draft.facts["choices"].split("|"))
    return (*(str(i) for i in range(1, n + 1)), "都不是")


def choice_question(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> str:
    mine = {str(a.id): (a, p) for a, p in owned(ctx, uow, draft)}
    ids = draft.facts["choices"].split("|")
    lines = ["您购买过以下产品，请问是哪一件出了问题？"]
    for i, asset_id in enumerate(ids, 1):
        asset, product = mine[asset_id]
        site = uow.places.site(asset.site_id) if asset.site_id else None
        when = asset.install_date or asset.purchase_date
        lines.append(f"{i}. {product.name}" + (f"（{site.label()}" if site else "（")
                     + (f"，{when:%Y-%m} 安装）" if when else "）"))
    lines.append(f"{len(ids) + 1}. 都不是 / 其他产品")
    lines.append("回复序号即可。")
    return "\n".join(lines)


def _alternatives(uow: SqlUnitOfWork, draft: Draft) -> list[Product]:
    """The close catalog products other than the one taken, best first."""
    f = draft.facts
    skus = [s for s in f.get("alternatives", "").split("|") if s and s != f.get("product")]
    return [p for p in (uow.catalog.product(s) for s in skus) if p is not None]


def alternatives_lines(uow: SqlUnitOfWork, draft: Draft) -> list[str]:
    others = _alternatives(uow, draft)
    if not others:
        return []
    return [f"不确定是哪一款？也可能是：{'、'.join(p.name for p in others)}（回复产品名即可更正）"]


def pick_alternative(uow: SqlUnitOfWork, draft: Draft, text: str) -> bool:
    """A product named at confirmation that is one of the close catalog products replaces the guess."""
    text = text.strip()
    chosen = next((p for p in _alternatives(uow, draft) if text in (p.name, p.sku)), None)
    if chosen is None:
        return False
    draft.facts["product"] = chosen.sku
    draft.facts.pop("alternatives", None)
    return True


def warranty_lines(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> list[str]:
    """The owner hears the charge rules before anything is dispatched."""
    f = draft.facts
    if not f.get("product"):
        return []
    labour = ctx.desk.rules.ticket_types[draft.type].labour_cents
    rules_text = f"过保收费：人工 {yuan(labour)}，配件按价另计。" if labour else "过保时配件按价收费。"
    asset = next((a for a, _ in owned(ctx, uow, draft) if str(a.id) == f.get("asset")), None)
    if asset is None:
        return [f"保修：以购买记录为准，师傅上门核实。{rules_text}"]
    state = asset.warranty_on(ctx.now.astimezone(ctx.desk.rules.tz).date())
    if state == "in":
        return [f"保修：保内（至 {asset.warranty_end}），本次免费。"]
    if state == "expired":
        return [f"保修：已过保（保修至 {asset.warranty_end}）。{rules_text}"]
    return [f"保修：保修期未知。{rules_text}"]
