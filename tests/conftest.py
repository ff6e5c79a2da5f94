"""Shared fixtures: an injected clock, a desk on SQLite (and on PostgreSQL + Redis when CI says so),
and a desk on the recording fake unit of work for handler tests that need no SQL."""
from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from bot.bootstrap import Desk, bootstrap, build_rules
from bot.channels.console.channel import ConsoleSession
from bot.settings import load_settings
from domain.actors import Actor
from domain.errors import Refused
from domain.model import Community, Customer, Product, Role, Staff, Technician, mask_phones
from domain.rules import Rules
from handlers.base import Ctx, Inbound
from handlers.identity import as_stored
from handlers.router import ROLE_HANDLERS
from storage import db, sealing
from storage.db import make_engine
from storage.importer import import_csv
from storage.kv_memory import MemoryStore
from storage.kv import KeyValueStore
from storage.kv_redis import RedisStore
from storage.tables import TicketRow
from tests.fakes.uow import FakeUnitOfWork

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"
DEMO = ROOT / "bot" / "demo"
CN = ZoneInfo("Asia/Shanghai")
PG_BASE_URL = os.environ.get("BAOXIU_TEST_DATABASE_URL", "")
# Each test process gets its own schema, so parallel runs on one database never collide.
PG_SCHEMA = f"baoxiu_test_{os.getpid()}"
PG_URL = (f"{PG_BASE_URL}{'&' if '?' in PG_BASE_URL else '?'}options=-csearch_path%3D{PG_SCHEMA}"
          if PG_BASE_URL else "")
REDIS_URL = os.environ.get("BAOXIU_TEST_REDIS_URL", "")
# Every log record of the run is checked for full phones, secrets and tokens (tests/leak_guard.py),
# and so is every database and key-value store a test leaves behind (tests/rest_guard.py).
pytest_plugins = ["tests.leak_guard", "tests.rest_guard"]


class FakeClock:
    """Time only moves when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture(scope="session", autouse=True)
def _drop_test_schema() -> Iterator[None]:
    yield
    for template in _templates.values():
        if template:
            shutil.rmtree(template.parent, ignore_errors=True)
    if PG_BASE_URL:
        engine = make_engine(PG_BASE_URL)
        try:
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        finally:
            engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    # Monday 23 Nov 2026, 10:00 in Shanghai: a normal workday morning.
    return FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=CN).astimezone(timezone.utc))


def reset_postgres(url: str = "") -> None:
    _templates.pop("postgres", None)   # whoever resets the schema leaves it unmigrated
    engine = make_engine(PG_BASE_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    except Exception as e:  # a set variable with no server is a failure, never a skip
        pytest.fail(f"BAOXIU_TEST_DATABASE_URL is set but PostgreSQL does not answer: {type(e).__name__}")
    finally:
        engine.dispose()


def redis_store() -> RedisStore:
    store = RedisStore(REDIS_URL, prefix=f"baoxiu-test:{os.getpid()}:{datetime.now().timestamp()}:")
    if not store.ping():
        pytest.fail("BAOXIU_TEST_REDIS_URL is set but Redis does not answer")
    return store


BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# Migrating and loading the demo cost more than most tests: each process does it once per backend
# and starts every desk from that state (a copied SQLite file; emptied PostgreSQL tables).
_templates: dict[str, Path | None] = {}


def _load_demo(session: Session) -> None:
    for kind in ("sites", "products", "technicians", "staff"):
        import_csv(session, kind, DEMO / f"{kind}.csv")


def _fresh_sqlite(target: Path, demo: bool) -> None:
    # The demo's technicians' phones are sealed: one template per set of keys.
    key = f"sqlite-demo-{','.join(sealing.current().keys)}" if demo else "sqlite"
    template = _templates.get(key)
    if template is None:
        template = Path(tempfile.mkdtemp(prefix="baoxiu-template-")) / "baoxiu.db"
        engine = make_engine(f"sqlite:///{template}")
        try:
            db.upgrade(engine)
            if demo:
                with Session(engine) as session:
                    _load_demo(session)
                    session.commit()
        finally:
            engine.dispose()   # checkpoints the WAL into the file, so a copy is whole
        _templates[key] = template
    shutil.copyfile(template, target)


def _fresh_postgres(demo: bool) -> None:
    engine = make_engine(PG_URL)
    try:
        if "postgres" not in _templates:
            reset_postgres(PG_URL)
            db.upgrade(engine)
            _templates["postgres"] = None
        else:
            with engine.begin() as conn:
                # DELETE with the foreign-key triggers off is an order of magnitude faster than
                # TRUNCATE on a few dozen near-empty tables; sequences restart as in a new schema.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for table in inspect(conn).get_table_names():
                    if table != "alembic_version":
                        conn.execute(text(f'DELETE FROM "{table}"'))
                for seq in conn.scalars(text("SELECT sequencename FROM pg_sequences "
                                             "WHERE schemaname = current_schema()")):
                    conn.execute(text(f'ALTER SEQUENCE "{seq}" RESTART'))
        if demo:
            with Session(engine) as session:
                _load_demo(session)
                session.commit()
    finally:
        engine.dispose()


def make_desk(backend: str, tmp_path: Path, clock: FakeClock, demo: bool = True,
              keys: list[str] | None = None) -> Desk:
    """A desk on a fresh database, sealing with `keys` (default: the test's, see tests/rest_guard.py)."""
    settings = load_settings(str(EXAMPLE), env={})
    settings.service.media_dir = str(tmp_path / "media")
    settings.security.data_key = ",".join(sealing.current().keys if keys is None else keys)
    sealing.configure(settings.security.keys())   # the demo is imported sealed, as bootstrap will read it
    if backend == "postgres":
        _fresh_postgres(demo)
        settings.database.url = PG_URL
        store = redis_store() if REDIS_URL else MemoryStore()
    else:
        _fresh_sqlite(tmp_path / "baoxiu.db", demo)
        settings.database.url = f"sqlite:///{tmp_path / 'baoxiu.db'}"
        store = MemoryStore()
    return bootstrap(settings, clock=clock, store=store, migrate=False)


@pytest.fixture
def desk(backend: str, tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
    d = make_desk(backend, tmp_path, clock)
    yield d
    d.close()


class Chat:
    """The console channel with its output captured: what every person was sent."""

    def __init__(self, desk: Desk) -> None:
        self.out: list[str] = []
        self.session = ConsoleSession(desk, self.out.append)
        self.desk = desk

    def __call__(self, who: str, text: str) -> str:
        """Say something as `who`; returns everything printed as a result."""
        start = len(self.out)
        self.session.say(who, text)
        return "\n".join(self.out[start:])

    def to(self, who: str, output: str) -> str:
        """Only the lines addressed to `who` in an output."""
        blocks = output.split("\n→ ") if output else []
        picked = [b.removeprefix("→ ") for b in blocks if b.removeprefix("→ ").startswith(who + " ")]
        return "\n".join(picked)

    def tick(self) -> str:
        start = len(self.out)
        self.session.flush()
        return "\n".join(self.out[start:])

    def ticket(self, number: str):  # type: ignore[no-untyped-def]
        with self.desk.uow() as uow:
            return uow.tickets.get(number)

    def last_number(self) -> str:
        with self.desk.uow() as uow:
            return uow.session.scalars(select(TicketRow.number).order_by(TicketRow.id.desc())).first() or ""


@pytest.fixture
def chat(desk: Desk) -> Chat:
    return Chat(desk)


def _demo(kind: str) -> list[dict[str, str]]:
    with open(DEMO / f"{kind}.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def seed_demo(uow: FakeUnitOfWork) -> None:
    """The demo roster, catalogue and communities, as `make_desk` imports them into SQL."""
    split = lambda v: tuple(x for x in v.split("|") if x)  # noqa: E731
    for r in _demo("technicians"):
        uow.people.save_technician(Technician(r["id"], r["name"], r["phone"], split(r["skills"]),
                                              split(r["regions"]), int(r["capacity"])))
    for r in _demo("staff"):
        uow.people.staff_members[r["id"]] = Staff(r["id"], r["name"], Role(r["role"]))
    for r in _demo("products"):
        uow.catalog.items[r["sku"]] = Product(r["sku"], r["name"], r["category"], r["skill"],
                                              int(r["warranty_months"]), split(r["aliases"]))
    uow.places.known = [Community(r["community"], r["region"], r["address"]) for r in _demo("sites")]


@dataclass
class FakeDesk:
    """What handlers need (handlers.ports.Desk), on one recording unit of work."""

    rules: Rules
    clock: Callable[[], datetime]
    store: KeyValueStore = field(default_factory=MemoryStore)
    dialog_ttl: timedelta = timedelta(minutes=30)
    fake: FakeUnitOfWork = field(default_factory=FakeUnitOfWork)

    def uow(self) -> FakeUnitOfWork:
        return self.fake


class Talk:
    """Speak to the role handlers directly, as `role:id`; returns the replies and the notices queued,
    each notice as `→ role:id text` (an owner is shown by phone, as the console shows them)."""

    def __init__(self, desk: FakeDesk) -> None:
        self.desk, self.uow = desk, desk.fake

    def __call__(self, who: str, text: str) -> str:
        role, _, person = who.partition(":")
        actor = Actor(Role(role), str(self._customer(person).id) if role == Role.OWNER else person)
        inbound = as_stored(Inbound("console", who, text))   # as the router passes it on
        ctx = Ctx(self.desk, self.desk.clock(), inbound, actor)  # type: ignore[arg-type]
        before = {n.key for n in self.uow.notices}
        try:
            ROLE_HANDLERS[actor.role](ctx, self.uow)  # type: ignore[arg-type]
        except Refused as polite:  # as the router answers it: back to the last commit
            self.uow.rollback()
            return str(polite)
        told = [f"→ {self._address(n.role, n.person_id)} {n.text}" for n in self.uow.notices if n.key not in before]
        return "\n".join([mask_phones(r.text) for r in ctx.replies] + told)

    def _customer(self, phone: str) -> Customer:
        return self.uow.people.customer_by_phone(phone) or self.uow.people.add_customer(Customer(phone))

    def _address(self, role: str, person_id: str) -> str:
        customer = self.uow.people.customer(int(person_id)) if role == Role.OWNER else None
        return f"{role}:{customer.phone if customer else person_id}"

    def ticket(self, number: str):  # type: ignore[no-untyped-def]
        return self.uow.tickets.get(number)


@pytest.fixture
def fake_desk(clock: FakeClock) -> FakeDesk:
    desk = FakeDesk(build_rules(load_settings(str(EXAMPLE), env={})), clock)
    seed_demo(desk.fake)
    return desk


@pytest.fixture
def talk(fake_desk: FakeDesk) -> Talk:
    return Talk(fake_desk)
