"""What every settings section shares: unknown keys are refused, and a problem names its key.
Platform sections share more: off by default, and once enabled their required keys must be set."""
from __future__ import annotations

import base64
import binascii
import re
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, model_validator


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SectionKeyError(ValueError):
    """A problem with one key of a section; the message names the key, never its value."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")


def require(section: BaseModel, *keys: str) -> None:
    for key in keys:
        if not getattr(section, key):
            raise SectionKeyError(key, "is required when enabled (or set it in the environment)")


class PlatformSection(Section):
    """A chat platform's section: checked only when enabled, so an unused platform needs no keys."""

    required: ClassVar[tuple[str, ...]] = ()
    enabled: bool = False

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> Self:
        if self.enabled:
            require(self, *self.required)
            self.check_enabled()
        return self

    def check_enabled(self) -> None:
        """What an enabled section needs beyond its required keys; raises SectionKeyError."""


def check_aes_key(key: str, value: str) -> None:
    """A callback's EncodingAESKey as WeCom's and DingTalk's consoles show it: 43 base64 characters
    that, with "=" appended, decode to the 32-byte AES key."""
    if len(value) != 43:
        raise SectionKeyError(key, "must be 43 characters")
    try:
        decoded = base64.b64decode(value + "=", validate=True)
    except binascii.Error:   # a character outside the alphabet
        decoded = b""
    if len(decoded) != 32:
        raise SectionKeyError(key, "must be base64 (A-Z a-z 0-9 + /) of a 32-byte key, as the console shows it")


def url_of(value: str, *schemes: str) -> str:
    """A base URL with one of `schemes` and a host, no query or fragment."""
    if not re.fullmatch(rf"(?:{'|'.join(schemes)})://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError(f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
    return value
