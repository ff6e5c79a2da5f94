"""`baoxiu wecom check`: fetches fresh tokens from the (fake) WeCom and says whether the credentials work."""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from PIL import Image

from bot.channels.wecom.scene import Scene, verify
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


def test_one_screen_says_what_is_configured_what_answered_and_what_to_fix(tmp_path: Path,
                                                                        live_fake: FakeWecom) -> None:
    live_fake.servicers = {"chenjing"}
    code, output = check(tmp_path, live_fake, BAOXIU_WECOM_KF_SERVICERS="chenjing,wangwu")
    assert code != 0
    configured, rest = output.split("== 应答 answered ==")
    answered, fixes = rest.split("== 修复 to fix ==")
    assert "scene_key" in configured and "not set" in configured and SECRET not in output
    assert "接待人员: FAILED (not 接待人员 of the account: wangwu)" in answered
    assert "接待人员 里加上：wangwu" in fixes and "scene_key" in fixes
    code, output = check(tmp_path, live_fake, BAOXIU_WECOM_KF_SERVICERS="chenjing",
                         BAOXIU_WECOM_SCENE_KEY="k" * 40)
    assert code == 0, output
    assert "接待人员: OK" in output and "nothing: all good" in output


def test_a_wrong_secret_is_named_without_showing_it(tmp_path: Path, live_fake: FakeWecom) -> None:
    code, output = check(tmp_path, live_fake, BAOXIU_WECOM_SECRET="wrong-secret-value")
    assert code != 0
    assert "app 1000002: FAILED (40001" in output and "wrong-secret-value" not in output
    assert "app 1000002 的 secret 不对" in output


def test_a_short_aes_key_stops_start_up_naming_the_key(tmp_path: Path, live_fake: FakeWecom) -> None:
    code, output = check(tmp_path, live_fake, BAOXIU_WECOM_ENCODING_AES_KEY="tooshort")
    assert code != 0 and "[wecom.encoding_aes_key] must be 43 characters" in output


def test_qr_create_and_batch_write_printable_codes_whose_links_carry_a_signed_scene(
        tmp_path: Path, live_fake: FakeWecom) -> None:
    config = tmp_path / "config.toml"
    shutil.copy(EXAMPLE, config)
    env = {"BAOXIU_WECOM_ENABLED": "true", "BAOXIU_WECOM_CORP_ID": CORP_ID, "BAOXIU_WECOM_AGENT_ID": str(AGENT_ID),
           "BAOXIU_WECOM_SECRET": SECRET, "BAOXIU_WECOM_TOKEN": TOKEN, "BAOXIU_WECOM_ENCODING_AES_KEY": AES_KEY,
           "BAOXIU_WECOM_KF_SECRET": KF_SECRET, "BAOXIU_WECOM_KF_OPEN_KFID": OPEN_KFID,
           "BAOXIU_WECOM_SCENE_KEY": "k" * 40, "BAOXIU_WECOM_API_BASE_URL": live_fake.base_url,
           "BAOXIU_DATABASE_URL": f"sqlite:///{tmp_path / 'qr.db'}", "BAOXIU_REDIS_URL": ""}
    run = CliRunner().invoke(cli, ["--config", str(config), "qr", "create", "--community", "翠湖花园",
                                   "--building", "3", "--unit", "2", "--room", "501", "--out", str(tmp_path / "one")],
                             env=env)
    assert run.exit_code == 0, run.output
    link = run.output.splitlines()[-1]
    param = parse_qs(urlsplit(link).query)["scene_param"][0]
    assert verify(param, "k" * 40) == Scene("翠湖花园", "3", "2", "501") and len(param.encode()) <= 128
    assert [body["scene"] for path, body in live_fake.requests if path.endswith("add_contact_way")] == ["baoxiu-qr"]
    assert Image.open(next((tmp_path / "one").glob("*.png"))).format == "PNG"
    units = tmp_path / "units.csv"
    units.write_text("community,building,unit,room,sku\n翠湖花园,3,2,501,\n翠湖花园,3,2,502,\n翠湖花园,5,1,101,\n",
                     encoding="utf-8")
    run = CliRunner().invoke(cli, ["--config", str(config), "qr", "batch", str(units), str(tmp_path / "out")], env=env)
    assert run.exit_code == 0, run.output
    assert len(list((tmp_path / "out").glob("*.png"))) == 3
    pdf = (tmp_path / "out" / "翠湖花园3栋.pdf").read_bytes()   # one sheet per building, a page per code
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 2
    assert (tmp_path / "out" / "翠湖花园5栋.pdf").exists()
