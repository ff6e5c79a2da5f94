"""`baoxiu wecom check`: fetches fresh tokens from the (fake) WeCom and says whether the credentials work."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.conftest import EXAMPLE
from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, KF_SECRET, OPEN_KFID, SECRET, TOKEN, FakeWecom


@pytest.fixture
def live_fake() -> Iterator[FakeWecom]:
    # The CLI reads the real clock, so the fake does too.
    f = FakeWecom(lambda: datetime.now(timezone.utc))
    yield f
    f.stop()


def check(tmp_path: Path, fake: FakeWecom, **changes: str) -> tuple[int, str]:
    config = tmp_path / "config.toml"
    shutil.copy(EXAMPLE, config)
    env = {"BAOXIU_WECOM_ENABLED": "true", "BAOXIU_WECOM_CORP_ID": CORP_ID, "BAOXIU_WECOM_AGENT_ID": str(AGENT_ID),
           "BAOXIU_WECOM_SECRET": SECRET, "BAOXIU_WECOM_TOKEN": TOKEN, "BAOXIU_WECOM_ENCODING_AES_KEY": AES_KEY,
           "BAOXIU_WECOM_KF_SECRET": KF_SECRET, "BAOXIU_WECOM_KF_OPEN_KFID": OPEN_KFID,
           "BAOXIU_WECOM_API_BASE_URL": fake.base_url, "BAOXIU_DATABASE_URL": "", "BAOXIU_REDIS_URL": "", **changes}
    result = CliRunner().invoke(cli, ["--config", str(config), "wecom", "check"], env=env)
    return result.exit_code, result.output


def test_working_credentials_are_confirmed(tmp_path: Path, live_fake: FakeWecom) -> None:
    code, output = check(tmp_path, live_fake)
    assert code == 0, output
    assert "app 1000002: OK" in output and "微信客服 kf: OK" in output
    assert SECRET not in output and "tok-" not in output


def test_a_wrong_secret_is_named_without_showing_it(tmp_path: Path, live_fake: FakeWecom) -> None:
    code, output = check(tmp_path, live_fake, BAOXIU_WECOM_SECRET="wrong-secret-value")
    assert code != 0
    assert "app 1000002: FAILED (40001" in output and "wrong-secret-value" not in output


def test_a_short_aes_key_stops_start_up_naming_the_key(tmp_path: Path, live_fake: FakeWecom) -> None:
    code, output = check(tmp_path, live_fake, BAOXIU_WECOM_ENCODING_AES_KEY="tooshort")
    assert code != 0 and "[wecom.encoding_aes_key] must be 43 characters" in output
