"""Request bodies of the REST API, bounded in size and nesting before FastAPI parses them.

FastAPI reads the whole body and hands it to `json.loads`: a huge body is held in memory, and
40 KB of `[[[[…` recurses past Python's limit. Every /api/v1 route is built with `Bounded`, which
reads at most MAX_BODY bytes (413 beyond) and refuses deep nesting (400) before the route's own
parsing sees the body.
"""
from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from bot import safe_json

# A purchases batch of 1000 sales is about 250 KB; nothing the API takes is near 1 MB.
MAX_BODY = 1024 * 1024


class Bounded(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            if request.method in ("POST", "PUT", "PATCH"):
                body = await read(request, MAX_BODY)
                try:
                    safe_json.check_depth(body)
                except safe_json.TooDeep:
                    raise HTTPException(400, f"body nested deeper than {safe_json.MAX_DEPTH} levels") from None
                request._body = body   # what FastAPI's own parsing reads next (Starlette's cache)
            return await handler(request)

        return bounded


async def read(request: Request, limit: int) -> bytes:
    """The body, or 413 as soon as it (or what Content-Length claims) passes `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"body larger than {limit} bytes")
    return bytes(body)
