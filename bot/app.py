"""The FastAPI application factory: health, REST API, and the platform callbacks."""
from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy import text
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot import __version__, api, api_documents, api_purchases, api_stats, logs
from bot.bootstrap import Desk
from bot.channels.base import Channel
from bot.wiring import Edges, wire
from scheduler import runner
from storage.db import READ_ONLY

Endpoint = ASGIApp   # a channel's callback, a bare ASGI route


def create_app(desk: Desk, scheduler: bool = False, edges: Edges | None = None, web_only: bool = False) -> FastAPI:
    """The web side; `edges` are the channels built for this desk (built here when not given).
    `web_only`: no scheduler here, a `baoxiu worker` process is woken to deliver."""
    wired = edges or wire(desk, web_only=web_only)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.install()  # uvicorn has configured its own handlers by now
        jobs = runner.start(desk, wired.outlets) if scheduler else None
        if scheduler:
            wired.run_worker()
        wired.start()
        yield
        wired.stop()
        if jobs is not None:
            jobs.shutdown(wait=False)

    # No OpenTelemetry here: FastAPI's own would otherwise look for a configured provider on every request.
    app = FastAPIOffline(title="Baoxiu 报修", version=__version__, lifespan=lifespan,
                         telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.desk = desk
    app.state.edges = wired

    @app.get("/healthz", tags=["ops"])
    def healthz() -> JSONResponse:
        checks = {"database": _database_ok(desk), "store": desk.store.ping()}
        status = 200 if all(checks.values()) else 503
        return JSONResponse({"ok": status == 200, **checks}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the offending input (for a missing field, the whole body):
        # that would send the owner's full phone number back out. Name the field, never the value.
        detail = [{"type": e.get("type"), "loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    # The platforms' callbacks first: routes are matched in order, and they carry nearly all traffic.
    for channel in wired.channels:
        if channel.router is not None:
            app.include_router(channel.router)
    app.include_router(api.router)
    app.include_router(api_stats.router)
    app.include_router(api_purchases.router)
    app.include_router(api_documents.router)
    app.add_middleware(CallbackLane, endpoints=_plain_posts(wired.channels))
    return app


class CallbackLane:
    """The platforms' message callbacks, called straight from the outermost layers. They are
    nearly all the traffic, and the framework's own per-request work (its exception and exit
    stack layers, routing through every route, the endpoint's dependency solving) cost the event
    loop more than the callback's own part does. Everything else goes on to the app as before;
    an error in a callback still reaches the server-error layer outside this one."""

    def __init__(self, app: ASGIApp, endpoints: Mapping[str, Endpoint]) -> None:
        self.app = app
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.endpoints.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        await endpoint(scope, receive, send)


def _plain_posts(channels: list[Channel]) -> dict[str, Endpoint]:
    """The channels' callbacks declared as plain routes (nothing for the framework to validate)."""
    return {route.path: route.endpoint for channel in channels if channel.router is not None
            for route in channel.router.routes
            if type(route) is Route and route.methods and "POST" in route.methods}


def _database_ok(desk: Desk) -> bool:
    try:
        # A health probe every few seconds must not queue for SQLite's write lock.
        with desk.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
