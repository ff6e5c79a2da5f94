"""What `baoxiu wecom check` says about the AI bot: its settings, who holds the connection, and
whether WeCom takes the credentials.

A test subscribe is made only when no process of ours holds the connection: WeCom keeps one
connection per bot, so subscribing next to a live holder would cut it off.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from bot.bootstrap import Desk
from bot.channels.wecom_bot import state
from bot.channels.wecom_bot.connection import request_id
from bot.channels.wecom_bot.lease import Lease
from bot.channels.wecom_bot.settings import WecomBotSettings

Line = tuple[str, str]
Result = tuple[str, bool, str]
HINTS = {
    "refused": "AI bot 的 bot_id / secret 不对：管理后台 → 智能机器人 → API 模式 → 长连接（Secret 不是回调的 Token）",
    "unreachable": "服务器连不上 AI bot 长连接地址：需能出站访问 openws.work.weixin.qq.com:443（无需公网入口）",
    "kicked": "另有程序用同一个机器人连着（旧部署、开发机）：停掉它，否则两边互相顶掉",
}


def report(desk: Desk) -> tuple[list[Line], list[Result], list[str]]:
    s = desk.settings.wecom_bot
    configured = [("AI bot bot_id", _mask(s.bot_id)), ("AI bot secret", "set" if s.secret else "NOT SET"),
                  ("AI bot ws_url", s.ws_url),
                  ("AI bot lease", f"{s.lease}s: one serve/worker process holds the connection")]
    held = Lease(desk, s.lease, holder="check").current()
    last = state.last(desk.store) or {}
    if held is not None:
        detail = f"held by {held[0]} until {held[1]:%H:%M:%S}"
        if last:
            detail += f"; last {last.get('state')} at {str(last.get('at', ''))[11:19]}"
        results = [("AI bot connection:", last.get("state") != "kicked", detail)]
        fixes = [HINTS["kicked"]] if last.get("state") == "kicked" else []
        return configured, results, fixes
    works, detail, why = probe(s)
    fixes = [HINTS[why]] if why else ["AI bot 现在没有进程连着：启动 baoxiu serve 或 baoxiu worker，其中一个会连上"]
    return configured, [("AI bot subscribe:", works, detail)], fixes


def probe(s: WecomBotSettings, timeout: float = 10.0) -> tuple[bool, str, str]:
    """(works, what WeCom answered, which hint) for one subscribe, closed at once."""
    try:
        answer = asyncio.run(asyncio.wait_for(_subscribe(s), timeout))
    except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as e:
        return False, f"cannot connect ({type(e).__name__})", "unreachable"
    code = answer.get("errcode", -1)
    if code == 0:
        return True, "subscribed", ""
    return False, f"{code} {str(answer.get('errmsg', ''))[:60]}", "refused"


async def _subscribe(s: WecomBotSettings) -> dict[str, Any]:
    req_id = request_id("aibot_subscribe")
    async with websockets.connect(s.ws_url, open_timeout=10, ping_interval=None) as ws:
        await ws.send(json.dumps({"cmd": "aibot_subscribe", "headers": {"req_id": req_id},
                                  "body": {"bot_id": s.bot_id, "secret": s.secret}}))
        async for raw in ws:
            frame = json.loads(raw)
            if isinstance(frame, dict) and (frame.get("headers") or {}).get("req_id") == req_id:
                return frame
    return {"errcode": -1, "errmsg": "closed before answering"}


def _mask(value: str) -> str:
    return value if len(value) <= 8 else f"{value[:4]}…{value[-4:]}"
