"""A day of real-style traffic with a data key set: an owner on 微信客服 reports, a technician on
the WeCom app accepts, checks in with a location and finishes, the owner rates; the desk files a
caller's report in a DingTalk group. Then every table and every key-value entry is dumped as
stored: no full phone, no room-level address, no shared location, no secret or token in clear."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from bot.app import create_app
from bot.bootstrap import Desk
from domain.model import mask_phones
from scheduler.jobs import tick
from storage import sealing
from storage.importer import import_csv
from storage.kv_memory import MemoryStore
from storage.kv_redis import RedisStore
from storage.tables import Base, SiteRow, TicketRow
from tests.conftest import DEMO, FakeClock, make_desk
from tests.e2e.test_wecom_flow import card_for, last_kf, menu_ids, the_ticket, wecom_user
from tests.fakes.dingtalk import FakeDingtalk
from tests.fakes.wecom import Callbacks, FakeWecom, enable
from tests.leak_guard import KNOWN, OPAQUE

KEY = Fernet.generate_key().decode()
OWNER, OWNER_PHONE, CALLER_PHONE = "wmOwnerKf0001", "13800138000", "13912345678"
DESK_STAFF, GROUP = "053612200117", "cidBaoxiuDesk0001=="
# Said in clear by people; none of it may be stored so.
ADDRESSES = ("2单元501", "3栋2单元", "1单元1202", "5栋1单元", "30.274100", "120.155100")


@pytest.fixture
def keyed(backend: str, tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
    desk = make_desk(backend, tmp_path, clock, demo=False, keys=[KEY])
    with desk.uow() as uow:
        for kind in ("sites", "products", "technicians", "staff"):
            import_csv(uow.session, kind, DEMO / f"{kind}.csv")
        uow.commit()
    yield desk
    sealing.configure([])
    desk.close()


@pytest.fixture
def both(keyed: Desk, clock: FakeClock) -> Iterator[tuple[Callbacks, FakeDingtalk, TestClient]]:
    wecom, ding = FakeWecom(clock), FakeDingtalk(clock)
    enable(keyed, wecom)
    ding.configure(keyed.settings.dingtalk, mode="http")
    with TestClient(create_app(keyed)) as client:
        yield Callbacks(wecom, client), ding, client
    wecom.stop()
    ding.stop()


def test_a_day_of_traffic_leaves_nothing_personal_in_clear(
        keyed: Desk, both: tuple[Callbacks, FakeDingtalk, TestClient], clock: FakeClock) -> None:
    wecom, ding, client = both
    owner_on_kf(wecom, keyed, clock)
    desk_in_dingtalk(ding, client)
    clock.advance(minutes=10)
    tick(keyed, wecom.outlets, clock())

    rows, values = database_dump(keyed), store_dump(keyed)
    assert len(rows) > 100 and values, "the day left data to look at"
    for where, dump in (("database", "\n".join(rows)), ("key-value store", "\n".join(values))):
        readable = OPAQUE.sub(" ", dump)   # digests and ciphertexts: random digits, nothing anyone typed
        assert mask_phones(readable) == readable, f"a full phone in the {where}: {phones(readable)}"
        assert not [a for a in ADDRESSES if a in dump], f"an address or location in the {where}"
        assert not KNOWN.search(dump), f"a secret or token in the {where}"
    assert opened(keyed) >= {"501", "1202"}                        # still there for those who may see it


def owner_on_kf(wecom: Callbacks, desk: Desk, clock: FakeClock) -> None:
    fake = wecom.fake
    wecom.customer(OWNER, f"厨房水龙头漏水了，翠湖花园3栋2单元501，电话{OWNER_PHONE}")
    assert "请确认报修信息" in kf_said(last_kf(fake))
    wecom.customer(OWNER, "确认", menu_id="确认")
    assert "报修成功" in kf_said(last_kf(fake))
    wecom.customer(OWNER, f"家里白天没人，来之前打我爱人电话 {CALLER_PHONE[:3]} {CALLER_PHONE[3:7]} {CALLER_PHONE[7:]}")
    ticket = the_ticket(desk)
    tech = wecom_user(desk, ticket.assignee_id or "")
    card = card_for(fake, tech)
    wecom.click(tech, card["task_id"], f"接单 {ticket.number}")
    wecom.location(tech, "翠湖花园3栋2单元501门口", x=30.2741, y=120.1551)
    wecom.text(tech, "到达")
    wecom.text(tech, f"完工 更换阀芯，业主电话{OWNER_PHONE}已回访 配件:阀芯x1")
    assert menu_ids(last_kf(fake)) == ["修好了", "没修好"]
    wecom.customer(OWNER, "修好了", menu_id="修好了")
    clock.advance(minutes=10)
    tick(desk, wecom.outlets, clock())
    wecom.customer(OWNER, "5 星", menu_id="5")
    wecom.customer(OWNER, f"师傅很专业，以后有事还找他，我电话{OWNER_PHONE}")
    assert fake.violations == []


def desk_in_dingtalk(ding: FakeDingtalk, client: TestClient) -> None:
    for said in ("代客报修", "卫生间马桶水箱一直漏水", "滨江壹号 5栋1单元1202", CALLER_PHONE, "确认"):
        body = ding.message(said, sender=DESK_STAFF, group=GROUP)
        assert client.post("/dingtalk/robot", json=body, headers=ding.headers()).status_code == 200


def kf_said(message: dict[str, Any]) -> str:
    return str(message["msgmenu"]["head_content"] if message["msgtype"] == "msgmenu" else message["text"]["content"])


def database_dump(desk: Desk) -> list[str]:
    """Every row of every table as stored (no sealed column opened)."""
    with desk.engine.connect() as conn:
        return [repr(tuple(row)) for table in Base.metadata.sorted_tables
                for row in conn.execute(text(f"SELECT * FROM {table.name}"))]


def store_dump(desk: Desk) -> list[str]:
    store = desk.store
    if isinstance(store, RedisStore):
        client = store._client
        return [str(client.get(k)) for k in client.scan_iter(match=store._prefix + "*")
                if client.type(k) in ("string", b"string")]
    assert isinstance(store, MemoryStore)
    return [entry.value for entry in store._data.values()]


def opened(desk: Desk) -> set[str]:
    """The rooms the tickets are at, as the service reads them back."""
    with desk.uow() as uow:
        sites = uow.session.scalars(select(SiteRow).join(TicketRow, TicketRow.site_id == SiteRow.id))
        return {s.room for s in sites}


def phones(dump: str) -> list[str]:
    return sorted({mask_phones(m.group(0)) + " near " + dump[max(m.start() - 60, 0):m.start()]
                   for m in re.finditer(r"1[3-9]\d{9}", dump)})[:5]
