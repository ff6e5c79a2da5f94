"""`[dingtalk]`: the robot's app credentials, mode (HTTP or Stream), events and cards."""
from __future__ import annotations

import base64
import binascii
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.settings_base import Section, SectionKeyError, require


class DingtalkSettings(Section):
    enabled: bool = False
    mode: Literal["http", "stream"] = "http"
    app_key: str = ""
    app_secret: str = ""
    robot_code: str = ""
    corp_id: str = ""
    event_token: str = ""
    event_aes_key: str = ""
    card_template_id: str = ""
    chart_card_template_id: str = ""     # a card with chart components: figures drawn natively, not as an image
    api_base_url: str = "https://api.dingtalk.com"
    oapi_base_url: str = "https://oapi.dingtalk.com"
    sign_window: int = Field(default=3600, ge=10, le=3600)   # DingTalk documents one hour

    @field_validator("api_base_url", "oapi_base_url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", v):
            raise ValueError("must be an http:// or https:// URL")
        return v

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> DingtalkSettings:
        if self.enabled:
            require(self, "app_key", "app_secret", "robot_code")
            _events_complete(self)
        return self


def _events_complete(s: DingtalkSettings) -> None:
    """Event subscription needs both values, and the key must be what DingTalk's console shows."""
    if s.event_token and not s.event_aes_key:
        raise SectionKeyError("event_aes_key", "is required when event_token is set (event subscription)")
    if s.event_aes_key and not s.event_token:
        raise SectionKeyError("event_token", "is required when event_aes_key is set (event subscription)")
    if s.event_aes_key and len(s.event_aes_key) != 43:
        raise SectionKeyError("event_aes_key", "must be 43 characters")
    if s.event_aes_key and not _base64_key(s.event_aes_key):
        raise SectionKeyError("event_aes_key", "must be the 43 letters and digits of a base64 key (as DingTalk shows it)")


def _base64_key(key: str) -> bool:
    try:
        return len(base64.b64decode(key + "=", validate=True)) == 32
    except binascii.Error:
        return False
