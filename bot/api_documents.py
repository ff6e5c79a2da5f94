"""GET /api/v1/tickets/{number}/confirmation.pdf: the 服务确认单 of a finished ticket."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from bot.api import Client, DeskDep
from bot.documents import Unavailable, confirmation_pdf

router = APIRouter(prefix="/api/v1", tags=["documents"])


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
