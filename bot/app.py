"""The FastAPI application factory: health, REST API, and (later) the platform callbacks."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bot import api, api_purchases, api_stats, logs
from bot.bootstrap import Desk
from bot.platforms import load_platforms


def create_app(desk: Desk, scheduler: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from scheduler.runner import start

        logs.install()  # uvicorn has configured its own handlers by now
        jobs = start(desk) if scheduler else None
        for platform in platforms:
            if platform.start:
                platform.start()
        yield
        for platform in platforms:
            if platform.stop:
                platform.stop()
        if jobs is not None:
            jobs.shutdown(wait=False)

    platforms = load_platforms(desk)

    app = FastAPI(title="Baoxiu 报修", version="0.1.0", lifespan=lifespan)
    app.state.desk = desk

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

    app.include_router(api.router)
    app.include_router(api_stats.router)
    app.include_router(api_purchases.router)
    for platform in platforms:
        if platform.router is not None:
            app.include_router(platform.router)
    return app


def _database_ok(desk: Desk) -> bool:
    try:
        with desk.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
