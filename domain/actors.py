"""Who acts on a ticket, as the audit trail names them."""
from __future__ import annotations

from dataclasses import dataclass

from domain.model import Role


@dataclass(frozen=True)
class Actor:
    role: Role
    id: str
    name: str = ""

    @property
    def label(self) -> str:
        return f"{self.role}:{self.id}"


SYSTEM = Actor(Role.ADMIN, "system", "系统")
