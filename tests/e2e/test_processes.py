"""Two `baoxiu serve --no-scheduler` processes and one `baoxiu worker` on one database: every reply
reaches WeCom exactly once, also when WeCom retries a callback on the other web process. A report
told whole is summed up on a card (the send API's); a greeting is answered in the callback itself."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bot.bootstrap import Desk
from storage.tables import OutboxRow
from tests.conftest import EXAMPLE, FakeClock
from tests.e2e.test_wecom_flow import passive_reply
from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, Callbacks, FakeWecom, fake  # noqa: F401

BAOXIU = Path(sys.executable).parent / "baoxiu"
OWNERS = 6
PATIENCE = 90.0   # seconds: three real processes start on a machine that may be busy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(desk: Desk, fake: FakeWecom) -> dict[str, str]:
    return {**os.environ, "BAOXIU_CONFIG": str(EXAMPLE), "BAOXIU_DATABASE_URL": desk.settings.database_url(),
            "BAOXIU_SERVICE_MEDIA_DIR": desk.settings.service.media_dir, "BAOXIU_WECOM_ENABLED": "true",
            "BAOXIU_WECOM_CORP_ID": CORP_ID, "BAOXIU_WECOM_AGENT_ID": str(AGENT_ID),
            "BAOXIU_WECOM_SECRET": SECRET, "BAOXIU_WECOM_TOKEN": TOKEN, "BAOXIU_WECOM_ENCODING_AES_KEY": AES_KEY,
            "BAOXIU_WECOM_API_BASE_URL": fake.base_url}


@contextmanager
def process(argv: list[str], env: dict[str, str], port: int | None = None) -> Iterator[None]:
    proc = subprocess.Popen([str(BAOXIU), *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if port is not None:
            until(lambda: _answers(port, proc), f"`baoxiu {' '.join(argv)}` did not start")
        yield
    finally:
        proc.terminate()
        proc.wait(20)


def _answers(port: int, proc: subprocess.Popen[bytes]) -> bool:
    assert proc.poll() is None, "the server exited"
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def until(done: object, why: str) -> None:
    """Waits for other processes (real time: they run on the system clock, not the test's)."""
    deadline = time.monotonic() + PATIENCE
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, why
        time.sleep(0.1)


def report(i: int) -> str:
    return f"厨房水龙头漏水了，翠湖花园3栋2单元{501 + i}，电话1380013{i:04d}"


def settled(desk: Desk) -> bool:
    with desk.uow(readonly=True) as uow:
        return not uow.session.scalar(select(func.count()).select_from(OutboxRow)
                                      .where(OutboxRow.status.in_(("pending", "sending"))))


def test_two_web_processes_and_a_worker_deliver_every_reply_once(desk: Desk, fake: FakeWecom,
                                                                 clock: FakeClock) -> None:
    clock.now = datetime.now(timezone.utc)   # the processes check callback timestamps on the real clock
    env = environment(desk, fake)
    ports = [free_port(), free_port()]
    owners = [f"owner{i:02d}" for i in range(2 * OWNERS)]
    with ExitStack() as stack:
        for port in ports:
            stack.enter_context(process(["serve", "--no-scheduler", "--port", str(port)], env, port))
        clients = [stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{p}", timeout=30)) for p in ports]
        web = [Callbacks(fake, client) for client in clients]   # type: ignore[arg-type]
        web[1].plain = web[0].plain   # one WeCom: either may retry what the other sent

        def tell(who: list[str], first: int) -> None:
            for i, owner in enumerate(who):
                assert web[i % 2].text(owner, report(first + i)).status_code == 200
            for query, body in web[0].sent[-(len(who) // 2):]:   # WeCom retries some on the other process
                assert web[1].post(query, body, keep=False).status_code == 200

        tell(owners[:OWNERS], 0)
        assert fake.messages == []   # web processes only queue: nothing goes out before a worker runs
        stack.enter_context(process(["worker"], env))
        tell(owners[OWNERS:], OWNERS)   # these wake the running worker
        until(lambda: all(fake.to(o) for o in owners) and settled(desk), "the worker did not deliver")
    assert [[m["msgtype"] for m in fake.to(o)] for o in owners] == [["template_card"]] * len(owners)


def test_two_serving_processes_hand_their_replies_to_their_own_loops_and_send_each_once(
        desk: Desk, fake: FakeWecom, clock: FakeClock) -> None:
    """With the worker loop in the web process, a callback's replies go to that loop in memory,
    written already taken: neither the other process's loop nor a `worker` sends them again,
    also when WeCom retries a callback on the other process; a greeting's answer, given in the
    callback, is given again the same by the other process."""
    clock.now = datetime.now(timezone.utc)
    env = environment(desk, fake)
    ports = [free_port(), free_port()]
    owners = [f"owner{i:02d}" for i in range(2 * OWNERS)]
    with ExitStack() as stack:
        stack.enter_context(process(["worker"], env))
        for port in ports:
            stack.enter_context(process(["serve", "--port", str(port)], env, port))
        clients = [stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{p}", timeout=30)) for p in ports]
        web = [Callbacks(fake, client) for client in clients]   # type: ignore[arg-type]
        web[1].plain = web[0].plain   # one WeCom: either may retry what the other sent
        greetings = [web[i % 2].text(owner, "你好") for i, owner in enumerate(owners)]
        for i, owner in enumerate(owners):
            assert web[i % 2].text(owner, report(i)).status_code == 200
        for (query, body), greeting in zip(web[0].sent[:OWNERS], greetings[::2]):
            again = web[1].post(query, body, keep=False)   # the same answer, sealed anew
            assert passive_reply(again.text)["Content"] == passive_reply(greeting.text)["Content"]
        for query, body in web[0].sent[OWNERS:]:
            assert web[1].post(query, body, keep=False).status_code == 200
        until(lambda: all(len(fake.to(o)) == 2 for o in owners) and settled(desk), "the replies were not delivered")
    assert [[m["msgtype"] for m in fake.to(o)] for o in owners] == [["text", "template_card"]] * len(owners)
    assert fake.violations == []   # among them: no message answered twice, differently
    with desk.uow(readonly=True) as uow:
        statuses = uow.session.scalars(select(OutboxRow.status).where(OutboxRow.kind == "reply")).all()
    assert sorted(statuses) == ["answered"] * len(owners) + ["sent"] * len(owners)
