"""API tokens: shown once, stored as SHA-256, compared by hash."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.tables import ApiTokenRow


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, now: datetime) -> str:
    token = "bx_" + secrets.token_urlsafe(32)
    session.add(ApiTokenRow(name=name[:64], token_hash=_hash(token), created_at=now))
    session.flush()
    return token


def token_name(session: Session, token: str) -> str | None:
    row = session.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash == _hash(token),
                                                    ApiTokenRow.revoked.is_(False))).first()
    return row.name if row else None
