"""`[wecom]`: the self-built app and 微信客服 credentials."""
from __future__ import annotations

from pydantic import Field, field_validator

from bot.settings_base import PlatformSection, SectionKeyError, check_aes_key


class WecomSettings(PlatformSection):
    required = ("corp_id", "secret", "token", "encoding_aes_key")
    corp_id: str = ""
    agent_id: int = 0
    secret: str = ""
    token: str = ""
    encoding_aes_key: str = ""
    api_base_url: str = "https://qyapi.weixin.qq.com"
    kf_secret: str = ""
    kf_open_kfid: str = ""
    timestamp_window: int = Field(default=300, ge=10)
    # 扫码报修: the key that signs a code's scene_param (any long random string; changing it voids
    # the printed codes), and the 接待人员 (UserIDs) an owner asking for a person is handed to.
    scene_key: str = ""
    kf_servicers: list[str] = Field(default_factory=list)

    @field_validator("kf_servicers", mode="before")
    @classmethod
    def _listed(cls, v: object) -> object:
        """BAOXIU_WECOM_KF_SERVICERS="chenjing,linxiaoyan" from the environment."""
        return [x.strip() for x in v.split(",") if x.strip()] if isinstance(v, str) else v

    def check_enabled(self) -> None:
        check_aes_key("encoding_aes_key", self.encoding_aes_key)
        if self.agent_id <= 0:
            raise SectionKeyError("agent_id", "must be the app's AgentId")
