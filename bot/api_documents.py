"""Documents over the API: the 服务确认单 of a finished ticket, and tickets as an Excel workbook."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from bot.api import Bearer, Client, DeskDep
from bot.api_body import Bounded
from bot.documents import Filter, Unavailable, confirmation_pdf, tickets_xlsx
from bot.tokens import is_admin
from domain.ticket import State
from scheduler.render.formats import XLSX

MAX_DAYS = 366

router = APIRouter(prefix="/api/v1", tags=["documents"], route_class=Bounded)


@router.get("/tickets/{number}/confirmation.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "no finished ticket"}})
async def confirmation(number: str, desk: DeskDep, client: Client) -> Response:
    try:
        # about a second of font work: on a worker thread, so other requests are not held up
        file = await run_in_threadpool(confirmation_pdf, desk, number[:40])
    except Unavailable:
        raise HTTPException(404, f"no finished ticket {number[:40]}") from None
    return Response(file.data, media_type=file.content_type,
                    headers={"Content-Disposition": f'inline; filename="{file.filename}"'})


@router.get("/exports/tickets.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def export_tickets(desk: DeskDep, client: Client, creds: Bearer, first: Annotated[date, Query(alias="from")],
                         last: Annotated[date, Query(alias="to")], state: State | None = None,
                         region: Annotated[str | None, Query(max_length=32)] = None) -> Response:
    """Tickets opened from..to (inclusive, desk time). Phones are masked unless the token is admin."""
    if last < first or (last - first).days >= MAX_DAYS:
        raise HTTPException(422, f"from..to must run forward and span at most {MAX_DAYS} days")
    with desk.uow(readonly=True) as uow:
        whole = creds is not None and is_admin(uow.session, creds.credentials)
    data, _ = await run_in_threadpool(tickets_xlsx, desk, Filter(first, last, state, region), whole)
    name = f"tickets-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
