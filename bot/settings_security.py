"""[security]: the keys personal data is sealed with (kept apart to merge beside the other sections)."""
from __future__ import annotations

import base64
import binascii

from pydantic import field_validator

from bot.settings_base import Section


class SecuritySettings(Section):
    # Fernet keys, comma separated, newest first (`baoxiu security new-key` makes one). Empty: the
    # embedded default stores personal data in clear and says so once at start-up.
    data_key: str = ""

    @field_validator("data_key")
    @classmethod
    def _fernet_keys(cls, v: str) -> str:
        for key in (k.strip() for k in v.split(",") if k.strip()):
            try:
                ok = len(base64.urlsafe_b64decode(key.encode())) == 32
            except (binascii.Error, ValueError):
                ok = False
            if not ok:
                raise ValueError("each key must be a Fernet key (urlsafe base64 of 32 bytes), comma separated")
        return v

    def keys(self) -> list[str]:
        return [k.strip() for k in self.data_key.split(",") if k.strip()]
