"""The signed `scene_param` of a 扫码报修 code: which unit or product the owner stands at.

WeCom hands `scene_param` back unchanged in the `enter_session` event, so anyone can edit the
link before scanning it. The facts are packed compactly (WeCom allows 128 bytes), and an HMAC
with a key from the settings decides whether we believe them; anything else is ignored and the
normal dialog runs.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, fields

MAX_BYTES = 128
SIG_BYTES = 9            # 72 bits: forging one is out of reach, and it leaves room for the facts
SEP = "\x1f"             # never typed in a community name or a SKU
VERSION = "1"


class SceneTooLong(ValueError):
    """The facts do not fit WeCom's 128 bytes; shorter names or fewer facts are needed."""


@dataclass(frozen=True)
class Scene:
    community: str = ""
    building: str = ""
    unit: str = ""
    room: str = ""
    sku: str = ""

    def facts(self) -> dict[str, str]:
        """As the report dialog names them (the product by its SKU)."""
        named = {"community": self.community, "building": self.building, "unit": self.unit,
                 "room": self.room, "product": self.sku}
        return {k: v for k, v in named.items() if v}

    def place(self) -> str:
        """翠湖花园3栋2单元501"""
        return "".join([self.community, self.building and f"{self.building}栋",
                        self.unit and f"{self.unit}单元", self.room])


def sign(scene: Scene, key: str) -> str:
    values = [getattr(scene, f.name) for f in fields(Scene)]
    if any(SEP in v for v in values):
        raise ValueError("scene facts may not contain control characters")
    body = (VERSION + SEP.join(values)).rstrip(SEP).encode()
    packed = _b64(body) + "." + _b64(_mac(key, body))
    if len(packed.encode()) > MAX_BYTES:
        raise SceneTooLong(f"scene_param would be {len(packed.encode())} bytes; WeCom allows {MAX_BYTES}")
    return packed


def verify(param: str, key: str) -> Scene | None:
    """The scene a genuine param names; None for a tampered, foreign or malformed one."""
    if not key or not param or len(param.encode()) > MAX_BYTES or param.count(".") != 1:
        return None
    body_b64, mac_b64 = param.split(".")
    try:
        body, mac = _unb64(body_b64), _unb64(mac_b64)
        text = body.decode()
    except ValueError:
        return None
    if not hmac.compare_digest(mac, _mac(key, body)) or not text.startswith(VERSION):
        return None
    values = text[len(VERSION):].split(SEP)
    if len(values) > len(fields(Scene)):
        return None
    return Scene(*values)


def _mac(key: str, body: bytes) -> bytes:
    return hmac.new(key.encode(), b"baoxiu-scene:" + body, hashlib.sha256).digest()[:SIG_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as e:
        raise ValueError("not base64") from e
