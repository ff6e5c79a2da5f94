"""A pytest plugin: what every test leaves at rest is checked as its logs are (tests/leak_guard.py).

Every test runs with a `[security] data_key` (`KEY`: the desks `make_desk` builds carry it in
their settings, and desks built from a config file find it in BAOXIU_SECURITY_DATA_KEY). When the test is over, every database it opened (each SQLite file, the test
schema on PostgreSQL: every table, every column) and every key-value store it made (each key and
each value, in memory or in Redis) is read as stored, and a full mobile number, a platform secret
or an access token found there fails the test, naming where it sits.

A test that checks the no-key mode on purpose says so with `@pytest.mark.in_clear`: it runs
without a key and its storage is not read. Sealed values and keyed hashes are left out of the
reading, so that random digits in a ciphertext or a digest never pass for a phone number.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.pool import NullPool

from domain.model import mask_phones
from storage import sealing
from storage.kv_memory import MemoryStore
from storage.kv_redis import RedisStore
from tests.fakes import dingtalk, wecom_api
from tests.fakes.wecom import KF_EVENT_TOKEN
from tests.leak_guard import KNOWN, OPAQUE

KEY = Fernet.generate_key().decode()
# Desks built from a config file (the CLI's, other processes') read the key from here.
KEY_VARIABLE = "BAOXIU_SECURITY_DATA_KEY"


# Beside what the log check knows: the platforms' callback keys and tokens in the test config, and
# the 微信客服 event tokens the fake hands out (each good for pulling that customer's messages).
CONFIG_SECRETS = re.compile("|".join(re.escape(s) for s in (
    wecom_api.AES_KEY, wecom_api.TOKEN, dingtalk.AES_KEY, dingtalk.EVENT_TOKEN, KF_EVENT_TOKEN)))


class RestGuard:
    """The databases and stores the current test touched."""

    def __init__(self) -> None:
        self.urls: set[str] = set()
        self.stores: list[MemoryStore | RedisStore] = []
        self.reading = False

    def engine_used(self, conn: Connection) -> None:
        if not self.reading:
            self.urls.add(conn.engine.url.render_as_string(hide_password=False))

    def store_made(self, store: MemoryStore | RedisStore) -> None:
        self.stores.append(store)

    def forget(self) -> None:
        self.urls.clear()
        self.stores.clear()

    def leaks(self) -> list[str]:
        self.reading = True
        try:
            found = [hit for url in sorted(self.urls) for hit in database_leaks(url)]
            return found + [hit for store in self.stores for hit in store_leaks(store)]
        finally:
            self.reading = False
            self.forget()


def leak_in(value: str) -> str | None:
    """What in `value` must not be at rest: a full mobile number, a secret, a token."""
    readable = OPAQUE.sub(" ", value)
    if mask_phones(readable) != readable:
        return "a full mobile number"
    known = KNOWN.search(readable) or CONFIG_SECRETS.search(readable)
    return f"a secret or token ({known.group(0)[:12]}…)" if known else None


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return None


def database_leaks(url: str) -> list[str]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:" or not Path(parsed.database).is_file():
            return []
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [f"{parsed.get_backend_name()} {where}: {what}" for where, what in _rows_leaks(conn)]
    finally:
        engine.dispose()


def _rows_leaks(conn: Connection) -> Iterator[tuple[str, str]]:
    for table in inspect(conn).get_table_names():
        result = conn.execute(text(f'SELECT * FROM "{table}"'))
        columns = list(result.keys())
        for row in result:
            for column, value in zip(columns, row):
                what = leak_in(_as_text(value) or "")
                if what:
                    yield f"{table}.{column}", f"{what}: {mask_phones(str(value))[:80]!r}"


def store_leaks(store: MemoryStore | RedisStore) -> list[str]:
    if not _readable(store):
        return []
    return [f"key-value {where}: {what}: {mask_phones(shown)[:80]!r}"
            for where, shown in _entries(store) for what in [leak_in(shown)] if what]


def _readable(store: MemoryStore | RedisStore) -> bool:
    """A Redis store on this machine that answers (tests also make stores for hosts that are not
    there, or are elsewhere: nothing is sent to those)."""
    if isinstance(store, MemoryStore):
        return True
    host = store._client.connection_pool.connection_kwargs.get("host")
    return host in ("127.0.0.1", "localhost") and store.ping()


def _entries(store: MemoryStore | RedisStore) -> Iterable[tuple[str, str]]:
    """(where, what is stored) for each key, and for each value, as stored."""
    if isinstance(store, MemoryStore):
        for key, entry in list(store._data.items()):
            yield "key", key
            yield f"value of {mask_phones(key)[:60]}", entry.value
        return
    client, prefix = store._client, store._prefix
    for raw in client.scan_iter(match=prefix + "*", count=500):
        key = raw.decode() if isinstance(raw, bytes) else str(raw)
        yield "key", key
        if client.type(raw) in ("string", b"string"):
            yield f"value of {mask_phones(key)[:60]}", str(client.get(raw))


GUARD = RestGuard()


def _recorded(cls: type[Any]) -> None:
    made = cls.__init__

    def init(self: Any, *args: Any, **kw: Any) -> None:
        made(self, *args, **kw)
        GUARD.store_made(self)
    cls.__init__ = init


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "in_clear: the test runs without a data key on purpose; "
                                       "its databases and stores are not read for personal data")
    event.listen(Engine, "engine_connect", GUARD.engine_used)
    _recorded(MemoryStore)
    _recorded(RedisStore)


def keys_for(item: pytest.Item) -> list[str]:
    return [] if item.get_closest_marker("in_clear") else [KEY]


@pytest.fixture(autouse=True)
def _nothing_in_clear_at_rest(request: pytest.FixtureRequest) -> Iterator[None]:
    """Requested first, so it ends last: after every desk of the test is closed."""
    keyed = keys_for(request.node)
    sealing.configure(keyed)
    GUARD.forget()
    with pytest.MonkeyPatch.context() as env:
        env.setenv(KEY_VARIABLE, ",".join(keyed)) if keyed else env.delenv(KEY_VARIABLE, raising=False)
        yield
    if not keyed:
        GUARD.forget()
        return
    found = GUARD.leaks()
    if found:
        shown = "\n".join(sorted(set(found))[:20])
        pytest.fail(f"personal data or credentials stored in clear ({len(found)}):\n{shown}", pytrace=False)
