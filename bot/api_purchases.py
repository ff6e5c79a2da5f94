"""POST /api/v1/purchases: a shop or ERP system pushes one sale or a batch as it happens.

The batch is all or nothing; a refusal names the index and the field, never the value (the
phone number is the owner's). Pushing the same sale again records nothing new."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException
from sqlalchemy.exc import IntegrityError

from bot.api import DeskDep, PurchaseWriter
from bot.api_body import Bounded
from storage.purchases import FIELDS, check_sales, record_sales

router = APIRouter(prefix="/api/v1", tags=["purchases"], route_class=Bounded)
MAX_BATCH = 1000


def _items(payload: Any) -> list[tuple[int, dict[str, str]]]:
    """One sale as an object, or many as a list or under "purchases"; every value read as text."""
    if isinstance(payload, dict) and "purchases" in payload:
        payload = payload["purchases"]
    batch = payload if isinstance(payload, list) else [payload]
    if not batch or len(batch) > MAX_BATCH:
        raise HTTPException(422, [{"index": None, "field": "purchases", "msg": f"send 1 to {MAX_BATCH} sales"}])
    bad = [i for i, item in enumerate(batch) if not isinstance(item, dict)]
    if bad:
        raise HTTPException(422, [{"index": i, "field": None, "msg": "not an object"} for i in bad])
    return [(i, {f: "" if item.get(f) is None else str(item[f]) for f in FIELDS}) for i, item in enumerate(batch)]


@router.post("/purchases")
def push_purchases(payload: Annotated[Any, Body()], desk: DeskDep, client: PurchaseWriter) -> dict[str, Any]:
    items = _items(payload)
    today = desk.clock().astimezone(desk.rules.tz).date()
    for attempt in range(2):
        with desk.uow() as uow:
            sales, problems = check_sales(uow.session, items, today)
            if problems:
                raise HTTPException(422, [{"index": i, "field": f, "msg": m} for i, f, m in problems])
            try:
                created, known = record_sales(uow.session, sales)
                uow.commit()
            except IntegrityError:
                # the same serial pushed at the same moment by another request: check again
                uow.rollback()
                if attempt:
                    raise
                continue
        return {"received": len(sales), "created": created, "already_recorded": known}
    raise AssertionError("unreachable")
