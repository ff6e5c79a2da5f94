"""`serve --no-scheduler`: a callback queues what goes through the send API and wakes the worker;
only the worker sends (a reply given in the callback's own answer is the platform's to show).

The wake itself is checked on the database the run uses: a commit on SQLite (the file's
data_version), a NOTIFY on PostgreSQL.
"""
from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.bootstrap import Desk
from scheduler.jobs import deliver_now
from storage import wakeup
from storage.tables import CounterRow, OutboxRow
from tests.fakes.wecom import Callbacks, FakeWecom, enable, fake  # noqa: F401


def test_a_web_only_process_queues_the_reply_and_leaves_the_sending_to_the_worker(desk: Desk,
                                                                                  fake: FakeWecom) -> None:
    enable(desk, fake)
    with TestClient(create_app(desk, web_only=True)) as client:
        wecom = Callbacks(fake, client)
        # A report told whole is summed up on a card with buttons: the send API's, not the answer's.
        answer = wecom.text("zhaoyezhu", "厨房水龙头漏水了，翠湖花园3栋2单元501，电话13800138000")
        assert answer.status_code == 200 and answer.content == b""
        assert fake.to("zhaoyezhu") == []   # nothing went out from the web process
        with desk.uow(readonly=True) as uow:
            assert list(uow.session.scalars(select(OutboxRow.status))) == ["pending"]
        deliver_now(desk, wecom.outlets)   # the worker's pass
    assert [m["msgtype"] for m in fake.to("zhaoyezhu")] == ["template_card"]


def test_the_worker_is_woken_by_another_process_queueing_work(desk: Desk) -> None:
    woken = threading.Event()
    listener = wakeup.Listener(desk.engine, woken.set).start()
    try:
        # What a web process does after its commit; the listener may need a moment to start
        # listening, so the signal is repeated until it is heard (no sleep: each wait is the signal's).
        for i in range(50):
            with desk.uow() as uow:
                uow.session.merge(CounterRow(name="wake-test", value=i))
                uow.commit()
            wakeup.notify(desk.engine)
            if woken.wait(0.5):
                break
        assert woken.is_set()
    finally:
        listener.stop()
