"""`baoxiu dingtalk check`: whether the configured credentials work, against the fake."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from tests.conftest import EXAMPLE
from tests.fakes.dingtalk import APP_KEY, APP_SECRET, ROBOT_CODE, FakeDingtalk


@pytest.fixture
def fake() -> Iterator[FakeDingtalk]:
    f = FakeDingtalk(lambda: datetime.now(timezone.utc))  # the CLI runs on the real clock
    yield f
    f.stop()


def check(tmp_path: Path, fake: FakeDingtalk, **env: str) -> Result:
    config = tmp_path / "config.toml"
    shutil.copy(EXAMPLE, config)
    base = {"BAOXIU_DINGTALK_ENABLED": "true", "BAOXIU_DINGTALK_APP_KEY": APP_KEY,
            "BAOXIU_DINGTALK_APP_SECRET": APP_SECRET, "BAOXIU_DINGTALK_ROBOT_CODE": ROBOT_CODE,
            "BAOXIU_DINGTALK_API_BASE_URL": fake.url, "BAOXIU_DINGTALK_OAPI_BASE_URL": fake.url}
    return CliRunner().invoke(cli, ["--config", str(config), "dingtalk", "check"], env={**base, **env})


def test_working_credentials_are_reported_ok(tmp_path: Path, fake: FakeDingtalk) -> None:
    result = check(tmp_path, fake)
    assert result.exit_code == 0, result.output
    assert "access token OK" in result.output and fake.token_fetches == 1


def test_a_wrong_secret_is_reported_without_echoing_it(tmp_path: Path, fake: FakeDingtalk) -> None:
    result = check(tmp_path, fake, BAOXIU_DINGTALK_APP_SECRET="wrong-secret-value")
    assert result.exit_code != 0
    assert "DingTalk credentials do not work" in result.output and "wrong-secret-value" not in result.output


def test_a_disabled_channel_says_so(tmp_path: Path, fake: FakeDingtalk) -> None:
    result = check(tmp_path, fake, BAOXIU_DINGTALK_ENABLED="false")
    assert result.exit_code != 0 and "[dingtalk] enabled = false" in result.output


def test_the_robot_code_is_checked_too(tmp_path: Path, fake: FakeDingtalk) -> None:
    result = check(tmp_path, fake, BAOXIU_DINGTALK_ROBOT_CODE="dingsomeoneelsesrobot")
    assert result.exit_code != 0
    assert "access token OK" in result.output and "robot code FAILED" in result.output


def test_stream_mode_checks_the_gateway_and_reports_each_line(tmp_path: Path, fake: FakeDingtalk) -> None:
    result = check(tmp_path, fake, BAOXIU_DINGTALK_MODE="stream")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    answered = lines[lines.index("== 应答 answered ==") + 1:lines.index("== 修复 to fix ==")]
    assert [line.split(" (")[0] for line in answered] == ["access token OK", "robot code OK", "stream gateway OK"]
    fake.gateway_failures = 1
    result = check(tmp_path, fake, BAOXIU_DINGTALK_MODE="stream")
    assert result.exit_code != 0 and "stream gateway FAILED (" in result.output and "robot code OK" in result.output
    assert "消息接收模式 选「Stream 模式」" in result.output


def test_http_mode_does_not_open_a_gateway_connection(tmp_path: Path, fake: FakeDingtalk) -> None:
    result = check(tmp_path, fake, BAOXIU_DINGTALK_MODE="http")
    assert result.exit_code == 0 and "stream gateway" not in result.output
    assert "改用 mode = \"stream\"" in result.output   # the fix for a company with no public URL
    assert not any(path.endswith("connections/open") for _, path, _ in fake.requests)
