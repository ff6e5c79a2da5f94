"""What every settings section shares: unknown keys are refused, and a problem names its key."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


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
