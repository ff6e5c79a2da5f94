"""`baoxiu wecom check` for the AI bot: settings, who holds the connection, a test subscribe."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.cli import cli
from storage import leases
from tests.conftest import EXAMPLE
from tests.e2e.test_wecom_bot import fake  # noqa: F401  (fixture)
from tests.fakes.wecom_bot import BOT_ID, SECRET, FakeWecomBot


def check(tmp_path: Path, fake: FakeWecomBot, **changes: str) -> tuple[int, str]:
    config = tmp_path / "config.toml"
    shutil.copy(EXAMPLE, config)
    env = {"BAOXIU_WECOM_BOT_ENABLED": "true", "BAOXIU_WECOM_BOT_BOT_ID": BOT_ID,
           "BAOXIU_WECOM_BOT_SECRET": SECRET, "BAOXIU_WECOM_BOT_WS_URL": fake.url,
           "BAOXIU_DATABASE_URL": "", "BAOXIU_REDIS_URL": "", **changes}
    result = CliRunner().invoke(cli, ["--config", str(config), "wecom", "check"], env=env)
    return result.exit_code, result.output


def test_with_nobody_connected_a_test_subscribe_says_the_credentials_work(tmp_path: Path, fake: FakeWecomBot) -> None:
    code, output = check(tmp_path, fake)
    assert code == 0, output
    assert "AI bot subscribe: OK (subscribed)" in output and "启动 baoxiu serve 或 baoxiu worker" in output
    assert SECRET not in output and "aibA…uBot" in output
    assert len(fake.subscribed()) == 1
    fake.wait(lambda: fake.live is None)                                # it closed its test connection


def test_a_wrong_secret_is_named_with_its_fix(tmp_path: Path, fake: FakeWecomBot) -> None:
    code, output = check(tmp_path, fake, BAOXIU_WECOM_BOT_SECRET="wrong-secret")
    assert code != 0
    assert "AI bot subscribe: FAILED (40001" in output and "API 模式 → 长连接" in output


def test_a_live_holder_is_reported_and_not_disturbed(tmp_path: Path, fake: FakeWecomBot) -> None:
    check(tmp_path, fake)                                  # creates the database
    engine = create_engine(f"sqlite:///{tmp_path / 'baoxiu.db'}")
    with Session(engine) as session:
        leases.take(session, "wecom_bot", "app-1:4242:ab12cd", datetime.now(timezone.utc), timedelta(minutes=5))
        session.commit()
    before = len(fake.subscribed())
    code, output = check(tmp_path, fake)
    assert code == 0, output
    assert "AI bot connection: OK (held by app-1:4242:ab12cd" in output
    assert len(fake.subscribed()) == before                # no test subscribe next to a live holder
