"""REST API /api/v1 for web forms and other systems; bearer tokens from `baoxiu token create`."""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.api_body import Bounded
from bot.bootstrap import Desk
from bot.tokens import TokenRefused, authorize
from bot.views import ticket_view
from domain.model import Role
from domain.actors import Actor
from domain.commands import OpenTicket
from domain.opening import open_ticket
from domain.ticket import State
from handlers.text import find_phone
from storage import mapping
from storage.tables import TicketRow

router = APIRouter(prefix="/api/v1", tags=["tickets"], route_class=Bounded)
bearer = HTTPBearer(auto_error=False)


def get_desk(request: Request) -> Desk:
    return request.app.state.desk


DeskDep = Annotated[Desk, Depends(get_desk)]


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def needs(scope: str) -> Callable[[Desk, HTTPAuthorizationCredentials | None], str]:
    """A dependency: the calling token's name, when the token is live and carries `scope`."""
    def api_client(desk: DeskDep, creds: Bearer) -> str:
        if creds is None:
            raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
        with desk.uow() as uow:
            try:
                name = authorize(uow.session, creds.credentials, scope, desk.clock())
            except TokenRefused as refused:
                headers = {"WWW-Authenticate": "Bearer"} if refused.status == 401 else None
                raise HTTPException(refused.status, str(refused), headers=headers) from None
            uow.commit()   # the last use, for `baoxiu token list`
        return name
    return api_client


Client = Annotated[str, Depends(needs("read"))]
TicketWriter = Annotated[str, Depends(needs("tickets:write"))]
PurchaseWriter = Annotated[str, Depends(needs("purchases:write"))]


class TicketIn(BaseModel):
    phone: str = Field(description="owner's mobile, 11 digits")
    description: str = Field(min_length=1, max_length=2000)
    type: str | None = None
    priority: str | None = None
    customer_name: str = Field(default="", max_length=64)
    community: str = Field(default="", max_length=64)
    building: str = Field(default="", max_length=16)
    unit: str = Field(default="", max_length=16)
    room: str = Field(default="", max_length=16)
    product_sku: str | None = Field(default=None, max_length=40)


@router.post("/tickets", status_code=201)
def create_ticket(body: TicketIn, desk: DeskDep, client: TicketWriter) -> dict[str, Any]:
    rules = desk.rules
    phone = find_phone(body.phone)
    if phone is None:
        raise HTTPException(422, "phone: not an 11-digit mobile number")
    type_code = body.type or rules.default_type
    if type_code not in rules.ticket_types:
        raise HTTPException(422, f"type: one of {', '.join(rules.ticket_types)}")
    priority = body.priority or rules.default_priority
    if priority not in {p.code for p in rules.priorities}:
        raise HTTPException(422, f"priority: one of {', '.join(p.code for p in rules.priorities)}")
    cmd = OpenTicket(phone=phone, type=type_code, priority=priority, description=body.description,
                     community=body.community, building=body.building, unit=body.unit, room=body.room,
                     product_sku=body.product_sku, customer_name=body.customer_name,
                     by=Actor(Role.ADMIN, f"api:{client}"[:32]))
    with desk.uow() as uow:
        if body.product_sku and uow.catalog.product(body.product_sku) is None:
            raise HTTPException(422, f"product_sku: unknown sku {body.product_sku}")
        ticket = open_ticket(uow, rules, desk.clock(), cmd)
        uow.commit()
        return ticket_view(uow, ticket, rules)


@router.get("/tickets")
def list_tickets(desk: DeskDep, client: Client, state: State | None = None, type: str | None = None,
                 assignee: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                 offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    stmt = select(TicketRow).order_by(TicketRow.id.desc()).limit(limit).offset(offset)
    for column, value in (("state", state), ("type", type), ("assignee_id", assignee)):
        if value:  # an unknown state was already answered with 422 naming the allowed values
            stmt = stmt.where(getattr(TicketRow, column) == str(value))
    with desk.uow(readonly=True) as uow:
        return [ticket_view(uow, mapping.ticket(r), desk.rules) for r in uow.session.scalars(stmt)]


@router.get("/tickets/{number}")
def get_ticket(number: str, desk: DeskDep, client: Client) -> dict[str, Any]:
    with desk.uow(readonly=True) as uow:
        ticket = uow.tickets.get(number.upper())
        if ticket is None:
            raise HTTPException(404, f"no ticket {number[:40]}")
        return ticket_view(uow, ticket, desk.rules)


@router.get("/tickets/{number}/events")
def ticket_events(number: str, desk: DeskDep, client: Client) -> list[dict[str, Any]]:
    with desk.uow(readonly=True) as uow:
        ticket = uow.tickets.get(number.upper())
        if ticket is None:
            raise HTTPException(404, f"no ticket {number[:40]}")
        return ticket_view(uow, ticket, desk.rules, trail=True)["trail"]
