"""`baoxiu` on the command line, as an operator runs it: output, exit code, what is stored.

Each test gets its own copy of config.example.toml in a temporary folder; its relative
`sqlite:///baoxiu.db` puts the database beside that copy. The commands use the real clock.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.bootstrap import bootstrap
from bot.cli import cli
from bot.settings import load_settings
from storage.tables import StockRow, TechnicianRow
from tests.conftest import EXAMPLE, PG_URL, reset_postgres
from tests.integration.test_migrations import head
from tests.rest_guard import KEY_VARIABLE

PHONE = "13800138000"
NUMBER = re.compile(r"BX\d{8}-\d{4}")
REPAIR_SCRIPT = f"""\
# a kitchen tap, from report to five stars
@owner:{PHONE} 厨房水龙头漏水了，翠湖花园3栋2单元501
@owner:{PHONE} 确认
@technician:T01 接单

@technician:T01 预约 明天下午3点
@technician:T01 到达
@technician:T01 完工 更换阀芯 配件:阀芯x1
@owner:{PHONE} 修好了
@owner:{PHONE} 5
"""
TECH_HEADER = "id,name,phone,skills,regions,capacity,wecom_userid,dingtalk_userid"


class Baoxiu:
    """Runs `baoxiu --config <copy> ...` and keeps every output, to check none shows a full phone."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.runner = CliRunner()
        self.outputs: list[str] = []

    def __call__(self, *args: str, ok: bool = True, config: bool = True) -> Result:
        argv = (["--config", str(self.config)] if config else []) + list(args)
        result = self.runner.invoke(cli, argv, catch_exceptions=False)
        self.outputs.append(result.output)
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code != 0, result.output
        return result

    def script(self, text: str, name: str = "repair.txt") -> Path:
        path = self.config.parent / name
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture(autouse=True)
def _no_baoxiu_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        # the test's data key stays (tests/rest_guard.py): nothing personal is written in clear
        if name.startswith("BAOXIU_") and not name.startswith("BAOXIU_TEST_") and name != KEY_VARIABLE:
            monkeypatch.delenv(name)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "config.toml")
    return folder


@pytest.fixture
def baoxiu(site: Path) -> Baoxiu:
    return Baoxiu(site / "config.toml")


@pytest.fixture
def repaired(baoxiu: Baoxiu) -> Iterator[str]:
    """Demo data loaded and one repair walked from report to rating; yields its number."""
    baoxiu("demo")
    out = baoxiu("chat", "--script", str(baoxiu.script(REPAIR_SCRIPT))).output
    numbers = NUMBER.findall(out)
    assert numbers
    yield numbers[0]


# --- database -------------------------------------------------------------------------


def test_db_upgrade_creates_the_database_beside_the_config(baoxiu: Baoxiu, site: Path) -> None:
    result = baoxiu("db", "upgrade")
    assert result.output.strip() == f"database at revision {head()}"
    assert (site / "baoxiu.db").is_file()


def test_db_upgrade_twice_is_harmless(baoxiu: Baoxiu) -> None:
    baoxiu("db", "upgrade")
    assert baoxiu("db", "upgrade").output.strip() == f"database at revision {head()}"


def test_a_relative_database_path_is_found_from_any_working_directory(
        baoxiu: Baoxiu, site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    baoxiu("demo")
    monkeypatch.chdir(tmp_path)
    baoxiu("chat", "--script", str(baoxiu.script(REPAIR_SCRIPT)))
    assert (site / "baoxiu.db").is_file()
    assert not (elsewhere / "baoxiu.db").exists() and not (tmp_path / "baoxiu.db").exists()
    tickets = json.loads(baoxiu("ticket", "list", "--json").output)
    assert len(tickets) == 1 and tickets[0]["product"]["sku"] == "FC-K100"


def test_the_config_can_come_from_baoxiu_config(baoxiu: Baoxiu, site: Path,
                                                monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BAOXIU_CONFIG", str(baoxiu.config))
    assert f"database at revision {head()}" in baoxiu("db", "upgrade", config=False).output
    assert (site / "baoxiu.db").is_file()


def test_a_missing_config_file_stops_with_a_one_line_error_naming_it(baoxiu: Baoxiu, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    result = baoxiu("--config", str(missing), "db", "upgrade", ok=False, config=False)
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: config file not found: {missing}"


def test_a_bad_setting_stops_every_command_with_the_key_and_the_file(baoxiu: Baoxiu) -> None:
    text = baoxiu.config.read_text(encoding="utf-8").replace("port = 8000", 'port = "abc"')
    baoxiu.config.write_text(text, encoding="utf-8")
    result = baoxiu("db", "upgrade", ok=False)
    assert result.exit_code == 1
    assert "[server.port]" in result.output and str(baoxiu.config) in result.output
    assert not (baoxiu.config.parent / "baoxiu.db").exists()


# --- master data --------------------------------------------------------------------


def test_demo_loads_communities_products_technicians_staff_parts_stock_and_purchases(baoxiu: Baoxiu) -> None:
    out = baoxiu("demo").output
    assert out.splitlines() == ["sites: 3 rows", "products: 41 rows", "technicians: 12 rows", "staff: 4 rows",
                                "parts: 8 rows", "stock: 9 rows", "purchases: 3 rows"]
    again = baoxiu("demo").output   # only into an empty database: a restart keeps what changed
    assert again.startswith("demo data not loaded: the database already holds") and "41 products" in again


def test_starting_twice_keeps_every_change_made_in_between(baoxiu: Baoxiu, site: Path) -> None:
    """`make run` is `db upgrade`, `demo`, `serve`: its second start must not bring the demo back."""
    baoxiu("db", "upgrade")
    baoxiu("demo")
    stock = site / "stock.csv"
    stock.write_text("sku,location,quantity,low_at\nP-VALVE,WH-MAIN,1,0\n", encoding="utf-8")
    baoxiu("import", "stock", str(stock))
    desk = bootstrap(load_settings(str(baoxiu.config), env=dict(os.environ)))
    try:
        with desk.uow() as uow:
            uow.session.get(TechnicianRow, "T01").active = False   # left the company
            uow.commit()
    finally:
        desk.close()
    baoxiu("db", "upgrade")
    assert baoxiu("demo").output.startswith("demo data not loaded")
    desk = bootstrap(load_settings(str(baoxiu.config), env=dict(os.environ)))
    try:
        with desk.uow() as uow:
            assert uow.session.get(StockRow, ("P-VALVE", "WH-MAIN")).quantity == 1
            assert uow.session.get(TechnicianRow, "T01").active is False
    finally:
        desk.close()


def test_after_the_demo_the_readme_parts_examples_work(baoxiu: Baoxiu) -> None:
    baoxiu("demo")
    script = str(baoxiu.script("@owner:13800138000 厨房的龙头漏水了\n@owner:13800138000 确认\n"
                               "@technician:T01 接单\n@technician:T01 预留 P-VALVE 2\n@technician:T01 到达\n"
                               "@technician:T01 完工 更换阀芯 配件:P-VALVE x1\n", "parts.txt"))
    out = baoxiu("chat", "--script", script).output
    assert "已过保" in out  # the demo owner's faucet, installed 2020, from the demo purchases
    assert "预留 陶瓷阀芯×2" in out
    assert "本次费用：¥125（人工 ¥80 + 配件 ¥45）" in out


def test_a_broken_technician_file_names_the_line_and_imports_nothing(baoxiu: Baoxiu, site: Path) -> None:
    broken = site / "techs.csv"
    broken.write_text(f"{TECH_HEADER}\n"
                      "T90,周师傅,13900000190,plumbing,西湖区,5,,\n"
                      "T91,吴师傅,12345,plumbing,西湖区,5,,\n", encoding="utf-8")
    result = baoxiu("import", "technicians", str(broken), ok=False)
    assert result.exit_code == 1
    assert "line 3" in result.output and "nothing was imported" in result.output
    assert "line 2" not in result.output
    # T90 on the good line was not written either: the chat does not know him.
    ask = str(baoxiu.script("@technician:T90 我的工单\n", "t90.txt"))
    assert "没有编号为 T90 的师傅" in baoxiu("chat", "--script", ask).output
    fixed = site / "fixed.csv"
    fixed.write_text(f"{TECH_HEADER}\nT90,周师傅,13900000190,plumbing,西湖区,5,,\n", encoding="utf-8")
    assert baoxiu("import", "technicians", str(fixed)).output.strip() == "technicians: 1 rows"
    assert baoxiu("chat", "--script", ask).output.strip() == "→ technician:T90 您当前没有工单。"


def test_importing_a_file_that_does_not_exist_is_refused(baoxiu: Baoxiu, site: Path) -> None:
    result = baoxiu("import", "technicians", str(site / "nope.csv"), ok=False)
    assert result.exit_code == 2 and "nope.csv" in result.output


def test_import_purchases_parts_and_stock_name_bad_lines_and_import_nothing(baoxiu: Baoxiu, site: Path) -> None:
    baoxiu("demo")
    sales = site / "sales.csv"
    sales.write_text("phone,name,community,building,unit,room,sku,serial,purchase_date,install_date\n"
                     "13600136000,吴女士,翠湖花园,5,1,301,TL-S100,SN-NEW-1,2025-01-01,2025-01-03\n"
                     "13600136001,,翠湖花园,5,1,302,TL-S100,SN-FCK100-0001,2025-01-01,\n", encoding="utf-8")
    result = baoxiu("import", "purchases", str(sales), ok=False)
    assert result.exit_code == 1 and "line 3: serial already belongs to another customer" in result.output
    assert "nothing was imported" in result.output and "13600136001" not in result.output
    ask = str(baoxiu.script("@dispatcher:D01 客户 13600136000\n", "ask.txt"))
    assert "没有找到这位客户" in baoxiu("chat", "--script", ask).output
    stock = site / "stock.csv"
    stock.write_text("sku,location,quantity,low_at\nP-VALVE,WH-MAIN,-1,2\n", encoding="utf-8")
    result = baoxiu("import", "stock", str(stock), ok=False)
    assert "line 2: quantity '-1' is not a non-negative integer" in result.output
    parts = site / "parts.csv"
    parts.write_text("sku,name,price,fits\nP-NEW,新零件,12.5,TL-S100|NOPE-1\n", encoding="utf-8")
    assert "line 2: fits: no product with SKU 'NOPE-1'" in baoxiu("import", "parts", str(parts), ok=False).output


# --- chat -----------------------------------------------------------------------------


def test_a_chat_script_walks_a_repair_from_report_to_rating(baoxiu: Baoxiu) -> None:
    baoxiu("demo")
    out = baoxiu("chat", "--script", str(baoxiu.script(REPAIR_SCRIPT))).output
    number = NUMBER.search(out)
    assert number
    lines = [line for line in out.splitlines() if line.startswith("→ ")]
    assert lines[0].startswith(f"→ owner:{PHONE} 请确认报修信息")
    assert f"→ owner:{PHONE} 报修成功！工单号 {number.group()}" in out
    assert f"→ technician:T01 【新工单】{number.group()}" in out
    assert f"→ technician:T01 已接单 {number.group()}" in out
    assert "→ technician:T01 已预约" in out and "15:00-16:00" in out
    assert f"→ owner:{PHONE} 工单 {number.group()}：师傅已到达现场" in out
    assert f"→ owner:{PHONE} 工单 {number.group()} 师傅已完工：更换阀芯。" in out
    assert lines[-1] == f"→ owner:{PHONE} 感谢您的评价（5 星）！欢迎再次使用。"
    # The chat prints the address the operator typed; the phone inside messages is masked.
    assert "138****8000" in out


def test_a_script_with_an_unreadable_line_stops_and_names_it(baoxiu: Baoxiu) -> None:
    baoxiu("demo")
    path = baoxiu.script(f"# comment\n@owner:{PHONE} 进度\n厨房水龙头漏水了\n@owner:{PHONE} 进度\n", "bad.txt")
    result = baoxiu("chat", "--script", str(path), ok=False)
    assert result.exit_code == 1
    assert f"{path}: line 3: expected `@role:id message`" in result.output
    assert result.output.count("→ owner:") == 1  # line 2 ran, line 4 did not


def test_a_missing_script_file_is_refused(baoxiu: Baoxiu, site: Path) -> None:
    result = baoxiu("chat", "--script", str(site / "nope.txt"), ok=False)
    assert result.exit_code == 2 and "nope.txt" in result.output


# --- tickets ----------------------------------------------------------------------------


def test_ticket_list_json_is_an_array_of_tickets_with_their_facts(baoxiu: Baoxiu, repaired: str) -> None:
    tickets = json.loads(baoxiu("ticket", "list", "--json").output)
    assert isinstance(tickets, list) and len(tickets) == 1
    t = tickets[0]
    assert {"number", "type", "state", "priority", "customer", "site", "product", "assignee_id",
            "appointment", "deadlines", "rating"} <= set(t)
    assert (t["number"], t["type"], t["state"], t["priority"]) == (repaired, "repair", "closed", "normal")
    assert t["customer"]["phone"] == "138****8000"
    assert t["site"]["community"] == "翠湖花园" and t["site"]["room"] == "501"
    assert t["product"]["sku"] == "FC-K100" and t["assignee_id"] == "T01"
    assert t["appointment"]["start"].endswith("T15:00:00+08:00")
    assert set(t["deadlines"]) == {"accept_by", "arrive_by", "resolve_by"}
    assert t["rating"] == 5 and t["parts_used"] == "阀芯x1"


def test_ticket_list_filters_by_state_and_prints_plain_lines(baoxiu: Baoxiu, repaired: str) -> None:
    assert json.loads(baoxiu("ticket", "list", "--json", "--state", "assigned").output) == []
    assert repaired in baoxiu("ticket", "list", "--state", "closed").output
    line = baoxiu("ticket", "list").output.strip()
    assert line.startswith(repaired) and "closed" in line and "维修" in line


def test_an_empty_ticket_list_is_an_empty_json_array(baoxiu: Baoxiu) -> None:
    assert json.loads(baoxiu("ticket", "list", "--json").output) == []


def test_ticket_show_json_has_the_whole_trail(baoxiu: Baoxiu, repaired: str) -> None:
    view = json.loads(baoxiu("ticket", "show", repaired, "--json").output)
    assert view["number"] == repaired and view["state"] == "closed"
    assert [e["action"] for e in view["trail"]] == ["open", "offer", "accept", "appoint", "arrive",
                                                    "resolve", "confirm", "rate"]
    assert view["trail"][1]["to"] == "assigned" and view["trail"][-1]["actor"].startswith("owner:")


def test_ticket_show_as_text_and_in_lower_case(baoxiu: Baoxiu, repaired: str) -> None:
    out = baoxiu("ticket", "show", repaired.lower()).output
    assert out.startswith(f"{repaired}  维修") and "客户 138****8000" in out and "师傅 王建国（T01）" in out
    assert "rate" in out


def test_showing_an_unknown_ticket_fails(baoxiu: Baoxiu, repaired: str) -> None:
    result = baoxiu("ticket", "show", "BX20991231-9999", ok=False)
    assert result.exit_code == 1 and "no ticket BX20991231-9999" in result.output


def test_the_full_phone_number_appears_in_no_output(baoxiu: Baoxiu, repaired: str) -> None:
    baoxiu.outputs.clear()
    baoxiu("ticket", "list")
    baoxiu("ticket", "list", "--json")
    baoxiu("ticket", "show", repaired)
    baoxiu("ticket", "show", repaired, "--json")
    assert len(baoxiu.outputs) == 4
    for out in baoxiu.outputs:
        assert PHONE not in out


# --- tokens and jobs ------------------------------------------------------------------


def test_a_created_token_is_accepted_by_the_api(baoxiu: Baoxiu) -> None:
    token = baoxiu("token", "create", "crm", "--scope", "read").output.strip()
    assert token.startswith("bx_") and len(token) > 20
    desk = bootstrap(load_settings(str(baoxiu.config), env=dict(os.environ)))
    try:
        with TestClient(create_app(desk)) as client:
            assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            assert client.get("/api/v1/tickets", headers={"Authorization": "Bearer bx_other"}).status_code == 401
    finally:
        desk.close()
    assert baoxiu("token", "create", "crm2", "--scope", "read").output.strip() != token  # each one is new


def test_sla_tick_at_a_given_time_prints_what_it_did_as_json(baoxiu: Baoxiu, repaired: str) -> None:
    out = baoxiu("sla", "tick", "--now", "2026-11-23T18:30:00+08:00").output
    report = json.loads(out)
    assert isinstance(report, dict) and all(isinstance(v, int) for v in report.values())
    assert json.loads(baoxiu("sla", "tick").output).keys() == report.keys()


@pytest.mark.parametrize("now", ["yesterday", "2026-11-23T18:30:00", "2026-13-01T00:00:00+08:00"])
def test_sla_tick_refuses_a_bad_now(baoxiu: Baoxiu, now: str) -> None:
    result = baoxiu("sla", "tick", "--now", now, ok=False)
    assert result.exit_code == 1 and "--now" in result.output


# --- the same walk on PostgreSQL, when CI provides one -------------------------------------


@pytest.mark.skipif(not PG_URL, reason="BAOXIU_TEST_DATABASE_URL is not set")
def test_the_repair_walk_works_on_postgres_via_baoxiu_database_url(baoxiu: Baoxiu, site: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    reset_postgres(PG_URL)
    monkeypatch.setenv("BAOXIU_DATABASE_URL", PG_URL)
    assert baoxiu("db", "upgrade").output.strip() == f"database at revision {head()}"
    baoxiu("demo")
    out = baoxiu("chat", "--script", str(baoxiu.script(REPAIR_SCRIPT))).output
    number = NUMBER.search(out)
    assert number and "感谢您的评价（5 星）" in out
    view = json.loads(baoxiu("ticket", "show", number.group(), "--json").output)
    assert view["state"] == "closed" and view["rating"] == 5 and len(view["trail"]) == 8
    assert not (site / "baoxiu.db").exists()


def test_an_unknown_state_filter_and_an_empty_token_name_are_refused(baoxiu: Baoxiu) -> None:
    result = baoxiu("ticket", "list", "--state", "bogus", ok=False)
    assert result.exit_code != 0 and "bogus" in result.output and "assigned" in result.output
    result = baoxiu("token", "create", "", "--scope", "read", ok=False)
    assert result.exit_code != 0 and "needs a name" in result.output
    assert "bx_" not in result.output


OPEN_SCRIPT = f"""@owner:{PHONE} 厨房水龙头漏水了，翠湖花园3栋2单元501
@owner:{PHONE} 确认
"""


def test_sla_tick_now_fires_what_is_due_and_the_outbox_commands_show_and_replay_it(baoxiu: Baoxiu) -> None:
    baoxiu("demo")
    number = NUMBER.findall(baoxiu("chat", "--script", str(baoxiu.script(OPEN_SCRIPT))).output)[0]
    due = json.loads(baoxiu("ticket", "show", number, "--json").output)["sla"]["next_due_at"]
    # `ticket show` gives the due time to the second; the timer itself carries the clock's microseconds
    after = (datetime.fromisoformat(due) + timedelta(seconds=1)).isoformat()
    report = json.loads(baoxiu("sla", "tick", "--now", after).output)
    assert report["sla_timers_fired"] == 1
    view = json.loads(baoxiu("ticket", "show", number, "--json").output)
    assert view["sla"]["fired"] == ["accept:warn"]
    # No platform is configured: the warning waits for its technician, spending no attempts.
    held = [line for line in baoxiu("outbox", "list", "--status", "held").output.splitlines() if "sla_warn" in line]
    assert len(held) == 1 and f"technician:{view['assignee_id']}" in held[0] and "tries=0" in held[0]
    assert "【时效提醒】" in held[0] and number in held[0]
    notice_id = held[0].split()[0]
    assert baoxiu("outbox", "retry", notice_id).output.strip() == "1 notices queued again"
    pending = baoxiu("outbox", "list", "--status", "pending").output
    assert any(line.split()[0] == notice_id for line in pending.splitlines())
    assert baoxiu("outbox", "list").output.strip() == ""   # no dead letters
    assert "give notice ids or --all-dead" in baoxiu("outbox", "retry", ok=False).output
    unknown = baoxiu("outbox", "retry", "999999", ok=False)
    assert unknown.exit_code != 0 and "1 of the given ids are not dead or held notices" in unknown.output


def test_serve_without_the_scheduler_starts_the_web_side_alone(baoxiu: Baoxiu, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    import scheduler.runner

    started, served = [], []
    monkeypatch.setattr(scheduler.runner, "start", lambda desk, outlets: started.append(desk) or _Stopped())
    woken: list[object] = []   # the delivery loop a web process wakes
    monkeypatch.setattr(scheduler.runner, "deliveries", lambda desk, outlets, engine: woken.append(engine) or (lambda: None))
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    baoxiu("serve", "--no-scheduler")
    with TestClient(served[0]) as client:   # runs the app's start-up and shut-down
        assert client.get("/healthz").status_code == 200
    assert started == []
    baoxiu("serve")
    with TestClient(served[1]):
        pass
    assert len(started) == 1


def test_worker_starts_the_scheduler_and_no_web_server(baoxiu: Baoxiu, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import uvicorn

    import scheduler.runner

    started: list[object] = []
    monkeypatch.setattr(scheduler.runner, "start", lambda desk, outlets: started.append(desk) or _Stopped())
    woken: list[object] = []   # the delivery loop a web process wakes
    monkeypatch.setattr(scheduler.runner, "deliveries", lambda desk, outlets, engine: woken.append(engine) or (lambda: None))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: pytest.fail("the worker started a web server"))

    class Stop(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:  # SIGTERM at once: no sleeping
            return True

    handlers: list[int] = []
    monkeypatch.setattr(scheduler.runner.threading, "Event", Stop)
    monkeypatch.setattr(scheduler.runner.signal, "signal", lambda sig, handler: handlers.append(sig))
    baoxiu("worker")
    assert len(started) == 1 and handlers == [scheduler.runner.signal.SIGTERM]
    assert woken == [started[0].engine]  # type: ignore[attr-defined]


class _Stopped:
    def shutdown(self, wait: bool = True) -> None:
        pass
