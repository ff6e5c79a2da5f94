"""A returning customer's address: where their last report was, put in the summary instead of asked again.

Only for a customer we know is speaking (`purchase_match.verified_customer`: the same rule that shows
their purchases), and only when the report says no address of its own. The summary names where the
address came from, so an owner who has moved sends the new one as any other correction.
"""
from __future__ import annotations

from handlers.base import Ctx
from handlers.purchase_match import ADDRESS_PARTS, Draft, verified_customer
from storage.uow import SqlUnitOfWork

_LOOKED_BACK = 5   # reports read for a place with a room: a desk's contact may have thousands
FROM_LAST = "address_from_last"   # the address taken, as its parts joined: still shown as "last time" while unchanged


def take_last_address(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> None:
    f = draft.facts
    if "choices" in f or any(f.get(part) for part in ADDRESS_PARTS):   # a purchase chosen brings its own
        return
    customer = verified_customer(ctx, uow, draft)
    if customer is None or customer.id is None:
        return
    for ticket in uow.tickets.for_customer(customer.id, open_only=False, limit=_LOOKED_BACK):   # newest first
        site = uow.places.site(ticket.site_id) if ticket.site_id else None
        if site is not None and site.community and site.room:
            f.update(community=site.community, building=site.building, unit=site.unit, room=site.room)
            f[FROM_LAST] = _joined(f)
            return


def from_last(f: dict[str, str]) -> bool:
    """The summary's address is still the one taken from the last report."""
    return FROM_LAST in f and f[FROM_LAST] == _joined(f)


def _joined(f: dict[str, str]) -> str:
    return "|".join(f.get(part, "") for part in ADDRESS_PARTS)
