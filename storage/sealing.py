"""Personal fields encrypted at rest, and keyed hashes to find them by.

`[security] data_key` (or BAOXIU_SECURITY_DATA_KEY) holds one or more Fernet keys, comma
separated, newest first: new writes use the newest, every listed key still decrypts, so a key is
rotated by putting a new one in front and running `baoxiu security rotate-key`. A sealed value
is `enc1:` + the Fernet token; anything else is a value written in clear (before a key was set)
and is read as it is, so a database can be moved from clear to sealed row by row.

Equality cannot be asked of a randomised ciphertext: a phone is looked up (and kept unique) by an
HMAC of it. Lookups try the HMAC under every listed key and under the no-key default, so rows not
yet re-hashed by `rotate-key` are still found.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import Dialect
from typing import Any

from sqlalchemy.types import String, Text, TypeDecorator, TypeEngine

from domain.model import mask_phones

log = logging.getLogger("baoxiu.security")

PREFIX = "enc1:"
_NO_KEY = b"baoxiu: personal data stored in clear (no [security] data_key)"


class Keyring:
    def __init__(self, keys: list[str]) -> None:
        self.keys = [k.strip() for k in keys if k.strip()]
        self._fernet = MultiFernet([Fernet(k.encode()) for k in self.keys]) if self.keys else None
        self._hash_keys = [hashlib.sha256(b"baoxiu-lookup:" + k.encode()).digest() for k in self.keys]

    @property
    def in_clear(self) -> bool:
        return self._fernet is None

    def seal(self, text: str) -> str:
        if self._fernet is None or not text or text.startswith(PREFIX):
            return text
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def open(self, value: str) -> str:
        if not value.startswith(PREFIX):
            return value
        if self._fernet is None:
            raise ValueError("a sealed value and no [security] data_key to open it")
        try:
            return self._fernet.decrypt(value[len(PREFIX):].encode()).decode()
        except InvalidToken:  # sealed under a key no longer configured
            raise ValueError("a sealed value no configured [security] data_key opens") from None

    def reseal(self, value: str) -> str:
        """Under the newest key (rotate-key)."""
        return self.seal(self.open(value))

    def lookup(self, text: str) -> str:
        """The hash new rows are written with: under the newest key, or the no-key default."""
        return self.lookups(text)[0]

    def lookups(self, text: str) -> list[str]:
        keys = [*self._hash_keys, _NO_KEY]
        return [hmac.new(k, text.encode(), hashlib.sha256).hexdigest() for k in keys]


def joined(*parts: str) -> str:
    """Several fields hashed as one (a site's community, building, unit and room)."""
    return "\x1f".join(parts)


_ring = Keyring([])
_warned = False


def configure(keys: list[str]) -> Keyring:
    """Set by the composition root at start-up; says once when personal data goes in clear."""
    global _ring, _warned
    _ring = Keyring(keys)
    if _ring.in_clear and not _warned:
        _warned = True
        log.warning("no [security] data_key set: personal data (phones, names, rooms, typed text, locations) "
                    "is stored in clear")
    return _ring


def current() -> Keyring:
    return _ring


def sealed_json(value: Any) -> str:
    """A value for the key-value store (a cached token, a draft): JSON, sealed when a key is set."""
    return _ring.seal(json.dumps(value, ensure_ascii=False))


def opened_json(raw: str | None) -> Any:
    """What sealed_json stored; None for nothing, or for what no configured key opens any more."""
    if not raw:
        return None
    try:
        return json.loads(_ring.open(raw))
    except ValueError:
        return None


def new_key() -> str:
    return Fernet.generate_key().decode()


class Sealed(TypeDecorator[str]):
    """A text column whose values are encrypted with the configured keys (clear without a key)."""

    impl = Text
    cache_ok = True

    def __init__(self, sqlite_length: int | None = None) -> None:
        super().__init__()
        self.sqlite_length = sqlite_length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # PostgreSQL enforces lengths (a sealed value is long): TEXT. SQLite does not, and keeps the
        # declared type of a column that predates sealing (a rebuild would trip its foreign keys).
        if dialect.name == "sqlite" and self.sqlite_length:
            return String(self.sqlite_length)
        return Text()

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else _ring.seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else _ring.open(value)


class Masked(Sealed):
    """Free text that SQL still searches (hold reasons by word): kept readable, with every mobile
    number masked on the way in. A value the writer sealed itself is kept sealed, and any sealed
    value opens on the way out."""

    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return value if value is None or value.startswith(PREFIX) else mask_phones(value)
