"""`[wecom_bot]`: the WeCom AI bot (智能机器人) in long-connection mode (API 模式 → 长连接)."""
from __future__ import annotations

from pydantic import Field, field_validator

from bot.settings_base import PlatformSection, url_of


class WecomBotSettings(PlatformSection):
    required = ("bot_id", "secret")
    bot_id: str = ""
    secret: str = ""            # the long connection's own Secret, not a callback Token/AESKey
    ws_url: str = "wss://openws.work.weixin.qq.com"
    # WeCom asks for a ping about every 30 s and drops a connection that stays silent much longer.
    heartbeat: int = Field(default=30, ge=5, le=60)
    # One process holds the connection; the others take over once its lease has run out.
    # Renewed every lease/4: a holder killed outright is replaced within about lease + lease/4.
    lease: int = Field(default=20, ge=8, le=120)

    @field_validator("ws_url")
    @classmethod
    def _ws_url(cls, v: str) -> str:
        return url_of(v, "ws", "wss")
