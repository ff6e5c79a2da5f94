"""The run-wide check of what tests leave at rest (tests/rest_guard.py) finds what it must, where
it sits, and takes no ciphertext or digest for a phone number."""
from __future__ import annotations

from sqlalchemy import text

from bot.bootstrap import Desk
from handlers import focus
from handlers.base import Ctx, Inbound
from domain.actors import Actor
from domain.model import Role
from storage import sealing
from storage.kv_memory import MemoryStore
from tests.conftest import FakeDesk
from tests.fakes.wecom_api import SECRET
from tests.rest_guard import GUARD, database_leaks, store_leaks


def test_a_phone_in_any_column_is_found_and_named(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        conn.execute(text("INSERT INTO communities (name, region, address) VALUES ('新小区', '西湖区', :a)"),
                     {"a": "物业电话 139 1234 5678"})
    url = desk.engine.url.render_as_string(hide_password=False)
    leaks = database_leaks(url)
    with desk.engine.begin() as conn:   # not left for this test's own check
        conn.execute(text("DELETE FROM communities WHERE name = '新小区'"))
    assert len(leaks) == 1 and "communities.address" in leaks[0] and "a full mobile number" in leaks[0]
    assert database_leaks(url) == []   # the demo's technicians' phones, sealed, are not taken for one


def test_keys_values_and_secrets_in_a_store_are_found_and_sealed_values_and_digests_pass() -> None:
    store = MemoryStore()
    store.set("dialog:console:owner:13912345678", "{}")
    store.set("token:wecom:app", f'{{"secret": "{SECRET}"}}')
    store.set("fine", sealing.Keyring([sealing.new_key()]).seal("13912345678") + " " + "1391234567812345" * 4)
    GUARD.forget()   # made on purpose
    leaks = store_leaks(store)
    assert len(leaks) == 2 and "key: a full mobile number" in leaks[0] and "a secret or token" in leaks[1]


def test_a_question_waiting_for_its_answer_is_sealed_in_the_store(fake_desk: FakeDesk) -> None:
    ctx = Ctx(fake_desk, fake_desk.clock(), Inbound("wecom", "zhangsan", "挂起 业主电话13912345678 不在家"),  # type: ignore[arg-type]
              Actor(Role.TECHNICIAN, "T01"))
    waiting = focus.Focus(pending=focus.Pending(ctx.inbound.text, "hold", "confirm", asked_at=ctx.now.isoformat()))
    focus.save(ctx, waiting)
    [raw] = [e.value for e in fake_desk.store._data.values()]   # type: ignore[attr-defined]
    assert raw.startswith("enc1:") and "13912345678" not in raw
    assert focus.load(ctx) == waiting


def test_the_test_key_is_what_a_desk_seals_with(desk: Desk) -> None:
    assert desk.settings.security.keys() == sealing.current().keys and not sealing.current().in_clear
