"""Schema migrations: a fresh database gets every table, an existing one keeps its data.

Runs on SQLite, and on PostgreSQL when BAOXIU_TEST_DATABASE_URL is set (the
`backend` fixture from conftest parametrizes over both).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text, Engine, inspect
from sqlalchemy.orm import Session

from bot.bootstrap import Desk, bootstrap
from bot.tokens import create_token, token_name
from domain.dispatch import Job, Weights
from domain.ticket import State
from storage.dispatch_query import candidates, exclusions
from storage.db import alembic_config, current_revision, make_engine, newest_revision, upgrade
from storage.kv_memory import MemoryStore
from storage.tables import Base
from tests.conftest import PG_URL, Chat, FakeClock, make_desk, reset_postgres

OWNER = "owner:13800138000"


def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://"))).get_current_head()
    assert revision
    return revision


def test_each_migration_is_named_after_its_number_and_revises_the_one_before() -> None:
    """What `upgrade` relies on to skip Alembic when the database is current."""
    scripts = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    for script in scripts.walk_revisions():
        number = int(script.revision)
        assert Path(script.path).name.startswith(f"{script.revision}_")
        assert script.down_revision == (f"{number - 1:04d}" if number > 1 else None)


@pytest.fixture
def empty_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A database with nothing in it yet."""
    if backend == "postgres":
        reset_postgres(PG_URL)
        engine = make_engine(PG_URL)
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    yield engine
    engine.dispose()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def report_a_repair(desk: Desk) -> str:
    chat = Chat(desk)
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    made = chat(OWNER, "确认")
    if "是同一个问题吗" in made:             # after the restart the first one is still open
        made = chat(OWNER, "不是，新报修")
    assert "报修成功" in made
    return chat.last_number()


def test_a_fresh_database_has_no_revision_before_the_upgrade(empty_engine: Engine) -> None:
    assert current_revision(empty_engine) is None
    assert tables(empty_engine) == set()


def test_upgrade_creates_every_table_and_records_the_head(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    assert tables(empty_engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert current_revision(empty_engine) == head() == newest_revision() == "0019"


def test_the_migrated_schema_matches_the_models(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_upgrading_an_up_to_date_database_changes_nothing(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head()
    assert tables(empty_engine) == set(Base.metadata.tables) | {"alembic_version"}


def test_a_restart_on_an_existing_database_keeps_tickets_tokens_and_master_data(
        backend: str, tmp_path: Path, clock: FakeClock) -> None:
    first = make_desk(backend, tmp_path, clock)
    try:
        number = report_a_repair(first)
        with first.uow() as uow:
            secret = create_token(uow.session, "crm", clock(), ("admin",))
            uow.commit()
        upgrade(first.engine)  # what every command does on start
        settings = first.settings
    finally:
        first.close()

    clock.advance(minutes=5)  # still inside the 15-minute offer
    again = bootstrap(settings, clock=clock, store=MemoryStore())
    try:
        assert current_revision(again.engine) == head()
        with again.uow() as uow:
            ticket = uow.tickets.get(number)
            assert ticket is not None and ticket.state is State.ASSIGNED and ticket.product_sku == "FC-K100"
            assert [e.action for e in uow.tickets.trail(ticket.id)] == ["open", "offer"]
            assert token_name(uow.session, secret) == "crm"
        # The restarted desk carries on where the first stopped: the next number follows.
        assert report_a_repair(again) == "BX20261123-0002"
        assert f"已接单 {number}" in Chat(again)(f"technician:{ticket.assignee_id}", f"接单 {number}")
    finally:
        again.close()


def test_downgrading_to_nothing_and_back_gives_the_same_schema(empty_engine: Engine) -> None:
    from alembic import command

    upgrade(empty_engine)
    command.downgrade(alembic_config(empty_engine), "base")
    assert tables(empty_engine) <= {"alembic_version"}
    assert current_revision(empty_engine) is None
    upgrade(empty_engine)
    assert tables(empty_engine) == set(Base.metadata.tables) | {"alembic_version"}


def test_an_older_database_is_brought_up_to_date_with_its_rows(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0001")
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (phone, name, created_at) VALUES ('13800138000', '', '2026-11-01')"))
        conn.execute(text(
            "INSERT INTO tickets (number, type, priority, state, description, customer_id, declined, photos,"
            " created_at, hold_reason, resolution_note, parts_used, rating_comment, urge_count, reopen_count)"
            " VALUES ('BX20261101-0001', 'repair', 'normal', 'new', '漏水', 1, '[]', '[]', '2026-11-01',"
            " '', '', '', '', 0, 0)"))
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head()
    with empty_engine.connect() as conn:
        row = conn.execute(text("SELECT number, hold_count, sla_fired, followup_stage FROM tickets")).one()
    assert row[0] == "BX20261101-0001" and row[1] == 0 and row[3] == ""


def test_platform_user_ids_move_from_the_roster_into_the_identities(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0007")
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO technicians (id, name, phone, skills, regions, capacity, on_duty, active,"
                          " wecom_userid, dingtalk_userid) VALUES ('T01', '王', '', '[]', '[]', 4, true, true,"
                          " 'wangjianguo', '0536')"))
        conn.execute(text("INSERT INTO staff (id, name, role, wecom_userid, dingtalk_userid, active)"
                          " VALUES ('D01', '陈', 'dispatcher', '', 'chenjing', true)"))
        # T01 already wrote from WeCom: that sighting is kept, not made older.
        conn.execute(text("INSERT INTO identities (channel, external_id, role, person_id, last_seen)"
                          " VALUES ('wecom', 'wangjianguo', 'technician', 'T01', '2026-11-20 08:00:00')"))
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = set(conn.execute(text("SELECT channel, external_id, role, person_id, last_seen FROM identities")))
        columns = {c["name"] for c in inspect(conn).get_columns("technicians")}
    assert {(r[0], r[1], r[2], r[3]) for r in rows} == {
        ("wecom", "wangjianguo", "technician", "T01"), ("dingtalk", "0536", "technician", "T01"),
        ("dingtalk", "chenjing", "dispatcher", "D01")}
    assert {str(r[4])[:4] for r in rows if r[1] == "wangjianguo"} == {"2026"}
    assert "wecom_userid" not in columns and "dingtalk_userid" not in columns


def test_technicians_already_on_the_roster_are_indexed_for_dispatch(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0016")
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO technicians (id, name, phone, skills, regions, capacity, on_duty, active,"
                          " open_jobs) VALUES ('T01', '王', '', '[\"plumbing\", \"lock\"]', '[\"西湖区\"]', 4, true,"
                          " true, 0), ('T02', '李', '', '[\"lock\"]', '[]', 1, true, true, 1)"))
    upgrade(empty_engine)
    with Session(empty_engine) as session:
        assert [c.tech.id for c in candidates(session, Job("lock", "西湖区"), {}, Weights(), None, 5)] == ["T01"]
        assert exclusions(session, Job("plumbing", "西湖区")).counts == {"无plumbing技能": 1}
        assert exclusions(session, Job("lock", "")).examples == {"工单已满": ("T02 李",)}
