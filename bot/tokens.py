"""API tokens: shown once, stored as SHA-256, compared by hash, each with the scopes it may use.

Every request looks its token up in the database, never in a per-process cache, so a token
revoked with `baoxiu token revoke` is refused at once by every web process.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.tables import ApiTokenRow

# What each scope allows; "admin" allows everything, scopes to come included.
SCOPES = {
    "read": "read tickets, their events and the figures",
    "tickets:write": "open tickets (a web form)",
    "purchases:write": "push sales records",
    "admin": "everything",
}
ADMIN = "admin"
# Recording every use would write on every request; a minute is fine for "last used".
LAST_USED_STEP = timedelta(minutes=1)


class TokenRefused(Exception):
    """`status` 401: no such token (or revoked); 403: a good token without the scope."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


@dataclass(frozen=True)
class TokenInfo:
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, now: datetime, scopes: tuple[str, ...]) -> str:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"unknown scope {', '.join(unknown)}; one or more of {', '.join(SCOPES)}")
    token = "bx_" + secrets.token_urlsafe(32)
    session.add(ApiTokenRow(name=name[:64], token_hash=_hash(token), created_at=now,
                            scopes=" ".join(dict.fromkeys(scopes))))
    session.flush()
    return token


def active_named(session: Session, name: str) -> bool:
    return session.scalar(select(ApiTokenRow.id).where(ApiTokenRow.name == name[:64],
                                                       ApiTokenRow.revoked.is_(False))) is not None


def token_name(session: Session, token: str) -> str | None:
    row = _active(session, token)
    return row.name if row else None


def authorize(session: Session, token: str, scope: str, now: datetime) -> str:
    """The token's name when it may use `scope`; raises TokenRefused otherwise. Notes the use."""
    row = _active(session, token)
    if row is None:
        raise TokenRefused(401, "invalid or revoked token")
    held = row.scopes.split()
    if scope not in held and ADMIN not in held:
        raise TokenRefused(403, f"this token lacks the {scope} scope")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP:
        row.last_used_at = now
    return row.name


def is_admin(session: Session, token: str) -> bool:
    """Whether a live token holds the admin scope (for what only admins see whole, like phones)."""
    row = _active(session, token)
    return row is not None and ADMIN in row.scopes.split()


def list_tokens(session: Session) -> list[TokenInfo]:
    rows = session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.revoked, ApiTokenRow.name, ApiTokenRow.id))
    return [TokenInfo(r.name, tuple(r.scopes.split()), r.created_at, r.last_used_at, r.revoked) for r in rows]


def revoke(session: Session, name: str) -> int:
    """Revoke every live token of that name; how many were."""
    result = session.execute(update(ApiTokenRow).where(ApiTokenRow.name == name[:64],
                                                       ApiTokenRow.revoked.is_(False)).values(revoked=True))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _active(session: Session, token: str) -> ApiTokenRow | None:
    return session.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash == _hash(token),
                                                     ApiTokenRow.revoked.is_(False))).first()
