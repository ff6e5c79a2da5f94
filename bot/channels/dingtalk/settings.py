"""`[dingtalk]`: the robot's app credentials, mode (HTTP or Stream), events and cards."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bot.settings_base import PlatformSection, SectionKeyError, check_aes_key, url_of


class DingtalkSettings(PlatformSection):
    required = ("app_key", "app_secret", "robot_code")
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
        return url_of(v, "http", "https")

    def check_enabled(self) -> None:
        """Event subscription is optional, but needs both values, the key as DingTalk's console shows it."""
        if self.event_token and not self.event_aes_key:
            raise SectionKeyError("event_aes_key", "is required when event_token is set (event subscription)")
        if self.event_aes_key and not self.event_token:
            raise SectionKeyError("event_token", "is required when event_aes_key is set (event subscription)")
        if self.event_aes_key:
            check_aes_key("event_aes_key", self.event_aes_key)
