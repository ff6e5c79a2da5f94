"""The bare baseline `benchmarks/callback.py` compares `baoxiu serve` with: a WeCom callback URL that
does the least any correct one must — FastAPI, the same signature check, AES decryption and XML
parsing (bot.channels.wecom.crypto), and one committed SQLite row (WAL, synchronous FULL, as
`serve` runs by default) — then answers 200.

    .venv/bin/python benchmarks/callback_baseline.py --port 8101 --db /path/base.db --token … --aes-key … --corp-id …
"""
from __future__ import annotations

import argparse
import sqlite3
import threading
import time

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bot.channels.wecom.crypto import CallbackCrypto, Rejected, parse_xml


def make_app(db: str, crypto: CallbackCrypto) -> FastAPI:
    app = FastAPI()
    local = threading.local()

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "conn"):
            local.conn = sqlite3.connect(db, timeout=30, isolation_level=None)
            local.conn.execute("PRAGMA journal_mode=WAL")
            local.conn.execute("PRAGMA synchronous=FULL")
        return local.conn  # type: ignore[no-any-return]

    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS messages (msg_id TEXT PRIMARY KEY, sender TEXT, content TEXT)")

    def handle(params: dict[str, str], body: bytes) -> Response:
        try:
            crypto.check_time(params.get("timestamp", ""), time.time())
            encrypt = parse_xml(body).get("Encrypt", "")
            msg = parse_xml(crypto.open(params.get("msg_signature", ""), params.get("timestamp", ""),
                                        params.get("nonce", ""), encrypt))
        except Rejected as e:
            return Response(status_code=e.status)
        conn = connection()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT OR IGNORE INTO messages VALUES (?, ?, ?)",
                     (msg.get("MsgId", ""), msg.get("FromUserName", ""), msg.get("Content", "")))
        conn.execute("COMMIT")
        return Response(status_code=200)

    @app.post("/wecom/callback")
    async def callback(request: Request) -> Response:
        body = await request.body()
        return await run_in_threadpool(handle, dict(request.query_params), body)

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--aes-key", required=True)
    parser.add_argument("--corp-id", required=True)
    args = parser.parse_args()
    crypto = CallbackCrypto(args.token, args.aes_key, args.corp_id, 300)
    uvicorn.run(make_app(args.db, crypto), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False)


if __name__ == "__main__":
    main()
