"""Personal fields sealed at rest: phones and names in the database, drafts in the key-value store;
keys rotate (old ones still open, `baoxiu security rotate-key` re-seals); no key still runs."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.bootstrap import Desk
from storage import sealing
from storage.db import make_engine, upgrade
from storage.identities import console_owner
from storage.kv import Keys
from storage.tables import Base
from tests.conftest import Chat, FakeClock, make_desk
from tests.e2e.test_cli import PHONE, Baoxiu, _no_baoxiu_environment, baoxiu, site  # noqa: F401  (fixtures)

MOBILE = re.compile(r"1[3-9]\d{9}")
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def keyed(backend: str, tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
    desk = make_desk(backend, tmp_path, clock, keys=[OLD])
    yield desk
    sealing.configure([])
    desk.close()


def raw_customers(desk: Desk) -> list[tuple[str, str, str]]:
    with desk.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT phone, name, phone_hash FROM customers"))]


def test_phones_and_names_are_sealed_in_the_database_and_the_owner_is_still_found(keyed: Desk) -> None:
    chat = Chat(keyed)
    chat(f"owner:{PHONE}", "厨房水龙头漏水了，翠湖花园3栋2单元501")
    number = (chat(f"owner:{PHONE}", "确认"), chat.last_number())[1]
    [(phone, _name, phone_hash)] = raw_customers(keyed)
    assert phone.startswith("enc1:") and not MOBILE.search(phone) and PHONE not in phone_hash
    assert number in chat(f"owner:{PHONE}", "进度")            # found by its keyed hash


def test_a_draft_in_the_store_is_sealed(keyed: Desk) -> None:
    chat = Chat(keyed)
    chat("owner:13912345678", "马桶漏水了，翠湖花园3栋2单元501，电话13912345678")
    raw = keyed.store.get(Keys.dialog("console", console_owner("13912345678")))
    assert raw is not None and raw.startswith("enc1:") and "13912345678" not in raw and "翠湖" not in raw
    chat("owner:13912345678", "确认")                          # the sealed draft opens and files
    assert chat.ticket(chat.last_number()).description.startswith("马桶漏水")


def test_a_new_key_in_front_still_opens_old_rows_and_rotation_reseals_them(keyed: Desk) -> None:
    chat = Chat(keyed)
    chat(f"owner:{PHONE}", "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(f"owner:{PHONE}", "确认")
    number = chat.last_number()
    sealing.configure([NEW, OLD])                              # rotated in the settings
    assert number in chat(f"owner:{PHONE}", "进度")
    from bot.cli_security import reseal   # noqa: PLC0415  (the command's body, on this test's desk)
    assert reseal(keyed)["customers"] == 1
    sealing.configure([NEW])                                   # the old key retired
    [(phone, _name, _hash)] = raw_customers(keyed)
    assert sealing.current().open(phone) == PHONE
    assert number in chat(f"owner:{PHONE}", "进度")
    sealed = every_sealed_value(keyed)
    assert {"sites", "tickets", "outbox", "ticket_events"} <= {t for t, _v in sealed}
    assert all(sealing.current().open(v) is not None for _t, v in sealed)   # each opens under NEW alone


def every_sealed_value(desk: Desk) -> list[tuple[str, str]]:
    with desk.engine.connect() as conn:
        return [(table, v) for table, column in SEALED_COLUMNS
                for (v,) in conn.execute(text(f"SELECT {column} FROM {table}")) if v and v.startswith("enc1:")]


SEALED_COLUMNS = [(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns
                  if isinstance(c.type, sealing.Sealed)]


@pytest.mark.in_clear
def test_without_a_key_it_runs_in_clear_and_says_so_once(backend: str, tmp_path: Path, clock: FakeClock,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    sealing._warned = False
    (tmp_path / "b").mkdir()
    with caplog.at_level(logging.WARNING, logger="baoxiu.security"):
        first, second = make_desk(backend, tmp_path, clock), make_desk("sqlite", tmp_path / "b", clock)
    said = [r for r in caplog.records if "stored in clear" in r.getMessage()]
    assert len(said) == 1
    chat = Chat(first)
    chat(f"owner:{PHONE}", "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(f"owner:{PHONE}", "确认")
    assert chat.last_number() and raw_customers(first)[0][0] == PHONE
    first.close()
    second.close()


def test_the_migration_seals_the_rows_an_older_database_holds(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0008")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (phone, name, created_at) VALUES (:p, '钱女士', '2026-11-01')"),
                     {"p": PHONE})
    sealing.configure([OLD])
    try:
        upgrade(engine)
        with engine.connect() as conn:
            phone, name, phone_hash = conn.execute(text("SELECT phone, name, phone_hash FROM customers")).one()
        assert phone.startswith("enc1:") and name.startswith("enc1:") and sealing.current().open(phone) == PHONE
        assert phone_hash == sealing.current().lookup(PHONE)
    finally:
        sealing.configure([])
        engine.dispose()


@pytest.mark.in_clear   # the site starts without a key, as one set up before sealing existed did
def test_the_cli_rotates(baoxiu: Baoxiu) -> None:
    baoxiu("demo")
    baoxiu("chat", "--script", str(baoxiu.script(f"@owner:{PHONE} 厨房水龙头漏水了，翠湖花园3栋2单元501\n"
                                                    f"@owner:{PHONE} 确认\n")))
    config = baoxiu.config.read_text(encoding="utf-8")
    baoxiu.config.write_text(config + f'\n[security]\ndata_key = "{OLD}"\n', encoding="utf-8")
    assert "re-sealed" in baoxiu("security", "rotate-key").output
    baoxiu.config.write_text(config + f'\n[security]\ndata_key = "{NEW},{OLD}"\n', encoding="utf-8")
    assert "re-sealed" in baoxiu("security", "rotate-key").output
    baoxiu.config.write_text(config + f'\n[security]\ndata_key = "{NEW}"\n', encoding="utf-8")
    out = baoxiu("chat", "--script", str(baoxiu.script(f"@owner:{PHONE} 进度\n", "p.txt"))).output
    assert "BX" in out
    db = sqlite_rows(baoxiu.config.parent / "baoxiu.db")
    assert db and all(p.startswith("enc1:") for p in db)
    sealing.configure([])


def sqlite_rows(path: Path) -> list[str]:
    import sqlite3   # noqa: PLC0415  (a raw look at the file, beside the app's own engine)
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT phone FROM customers")]


def test_migration_0014_seals_rooms_and_technicians_phones_an_older_database_holds(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0013")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sites (community, building, unit, room, region) "
                          "VALUES ('翠湖花园', '3', '2', '501', '西湖区')"))
        conn.execute(text("INSERT INTO technicians (id, name, phone, skills, regions, capacity, on_duty, active, "
                          "open_jobs) VALUES ('T09', '王师傅', '13900000109', '[]', '[]', 4, 1, 1, 0)"))
    sealing.configure([OLD])
    try:
        upgrade(engine)
        with engine.connect() as conn:
            building, room, place_hash = conn.execute(text("SELECT building, room, place_hash FROM sites")).one()
            phone = conn.execute(text("SELECT phone FROM technicians")).scalar_one()
        assert room.startswith("enc1:") and sealing.current().open(room) == "501"
        assert sealing.current().open(building) == "3" and sealing.current().open(phone) == "13900000109"
        assert place_hash == sealing.current().lookup(sealing.joined("翠湖花园", "3", "2", "501"))
    finally:
        sealing.configure([])
        engine.dispose()


def test_migration_0019_gives_console_owners_keyed_ids_and_seals_pull_tokens(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0016")
    ring = sealing.configure([OLD])
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (phone, phone_hash, name, created_at) "
                          "VALUES (:p, :h, '', '2026-11-01')"), {"p": ring.seal(PHONE), "h": ring.lookup(PHONE)})
        for sender, seen in ((f"owner:{PHONE}", "2026-11-02"), (f"owner:+86 {PHONE}", "2026-11-01"),
                             ("owner:13700137000", "2026-11-01")):   # the last one's customer is gone
            conn.execute(text("INSERT INTO identities (channel, external_id, role, person_id, last_seen) "
                              "VALUES ('console', :e, 'owner', :p, :s)"),
                         {"e": sender, "p": "1" if PHONE in sender else "2", "s": seen})
        conn.execute(text("INSERT INTO kf_pulls (open_kfid, token, attempts, due_at, last_error) "
                          "VALUES ('wkFAKEkf0001', 'ENCApHxnGDNAVNY4-000001', 1, '2026-11-01', '')"))
    try:
        upgrade(engine)
        with engine.connect() as conn:
            identities = conn.execute(text("SELECT external_id, person_id FROM identities")).all()
            token = conn.execute(text("SELECT token FROM kf_pulls")).scalar_one()
        assert identities == [(console_owner(PHONE), "1")]
        assert token.startswith("enc1:") and sealing.current().open(token) == "ENCApHxnGDNAVNY4-000001"
    finally:
        sealing.configure([])
        engine.dispose()


def test_console_owners_are_stored_by_a_keyed_id_that_rotation_makes_again(keyed: Desk) -> None:
    chat = Chat(keyed)
    assert "请确认" in chat(f"owner:{PHONE}", "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(f"owner:{PHONE}", "确认")
    chat("technician:T01", f"接单 {chat.last_number()}")      # a notice goes to the owner in the console
    assert any(said.startswith(f"→ owner:{PHONE} ") for said in chat.out)   # as the operator typed it
    assert console_ids(keyed) == [console_owner(PHONE)] and PHONE not in console_owner(PHONE)
    sealing.configure([NEW, OLD])
    from bot.cli_security import reseal   # noqa: PLC0415  (the command's body, on this test's desk)
    assert reseal(keyed)["console identities"] == 1
    assert console_ids(keyed) == [console_owner(PHONE)]      # under NEW now
    number = chat.last_number()
    assert number in chat(f"owner:{PHONE}", "进度")


def console_ids(desk: Desk) -> list[str]:
    with desk.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT external_id FROM identities WHERE channel = 'console' "
                                                "AND role = 'owner'"))]
