"""Settings: the TOML file, the environment on top, and one clear line when something is wrong.

The error line is what an operator sees when the service refuses to start: it must
name the file and the key, and must never repeat the value (it may be a password).
"""
from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from bot.bootstrap import bootstrap, build_rules
from bot.settings import Settings, SettingsError, load_settings
from tests.conftest import EXAMPLE

SECRET = "s3cr3t-Pa55w0rd"


def write_config(folder: Path, replace: tuple[str, str] | None = None, extra: str = "") -> Path:
    """A copy of config.example.toml with one line replaced and/or text appended."""
    text = EXAMPLE.read_text(encoding="utf-8")
    if replace:
        old, new = replace
        assert old in text, old
        text = text.replace(old, new, 1)
    path = folder / "config.toml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path


def settings_error(path: Path, env: dict[str, str] | None = None, rules: bool = False) -> str:
    """The one-line message a bad config gives, from loading or (for the rules) from build_rules."""
    with pytest.raises(SettingsError) as caught:
        settings = load_settings(str(path), env=env or {})
        if rules:
            build_rules(settings)
    message = str(caught.value)
    assert "\n" not in message
    # a value from the environment is blamed on its variable, everything else on the file
    from_env = any(message.startswith(f"environment variable {name}: ") for name in (env or {}))
    assert from_env or message.startswith(f"{path}: ") or message == f"config file not found: {path}"
    return message


# --- finding the file ------------------------------------------------------------------


def test_the_example_config_loads_and_builds_the_rules(tmp_path: Path) -> None:
    settings = load_settings(str(EXAMPLE), env={})
    assert settings.source == str(EXAMPLE) and settings.server.port == 8000
    rules = build_rules(settings)
    assert set(rules.ticket_types) == {"repair", "install", "return", "complaint", "inspection", "maintenance"}
    assert [p.code for p in rules.priorities] == ["urgent", "high", "normal", "low"]
    assert rules.default_priority == "normal" and rules.urgent_priority == "urgent"
    assert rules.offer_timeout.total_seconds() == 15 * 60
    assert rules.policy("repair", "urgent").calendar == "24x7"
    assert rules.policy("repair", "low").calendar == "business"  # the "*" policy covers the rest


def test_a_missing_config_file_is_one_line_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "config.toml"
    assert settings_error(missing) == f"config file not found: {missing}"


def test_baoxiu_config_in_the_environment_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path, ("port = 8000", "port = 8123"))
    monkeypatch.chdir(tmp_path.parent)
    assert load_settings(env={"BAOXIU_CONFIG": str(path)}).server.port == 8123
    monkeypatch.setenv("BAOXIU_CONFIG", str(path))
    settings = load_settings()
    assert settings.server.port == 8123 and settings.source == str(path)


def test_an_explicit_path_beats_baoxiu_config(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    chosen = write_config(tmp_path / "a", ("port = 8000", "port = 8001"))
    other = write_config(tmp_path / "b", ("port = 8000", "port = 8002"))
    assert load_settings(str(chosen), env={"BAOXIU_CONFIG": str(other)}).server.port == 8001


def test_baoxiu_config_pointing_nowhere_is_an_error_not_the_defaults(tmp_path: Path) -> None:
    missing = tmp_path / "gone.toml"
    with pytest.raises(SettingsError, match=re.escape(f"config file not found: {missing}")):
        load_settings(env={"BAOXIU_CONFIG": str(missing)})


def test_config_toml_in_the_working_directory_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path, ("port = 8000", "port = 8444"))
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.server.port == 8444 and settings.source == "config.toml"


def test_without_any_file_the_defaults_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.source == "(defaults)" and settings.server.port == 8000
    assert settings.database_url() == f"sqlite:///{tmp_path.resolve() / 'baoxiu.db'}"
    rules = build_rules(settings)
    assert list(rules.ticket_types) == ["repair"] and rules.default_priority == "normal"


def test_a_relative_sqlite_path_is_beside_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "etc").mkdir()
    path = write_config(tmp_path / "etc", ('url = "sqlite:///baoxiu.db"', 'url = "sqlite:///data/desk.db"'))
    monkeypatch.chdir(tmp_path)
    assert load_settings(str(path), env={}).database_url() == f"sqlite:///{(tmp_path / 'etc/data/desk.db').resolve()}"
    absolute = write_config(tmp_path / "etc", ('url = "sqlite:///baoxiu.db"', f'url = "sqlite:///{tmp_path}/x.db"'))
    assert load_settings(str(absolute), env={}).database_url() == f"sqlite:///{tmp_path}/x.db"


def test_a_file_that_is_not_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[database]\nurl = "postgresql+psycopg://app:' + SECRET + '@db/baoxiu\n', encoding="utf-8")
    message = settings_error(path)
    assert "not valid TOML" in message and SECRET not in message


# --- bad values ---------------------------------------------------------------------------


@pytest.mark.parametrize(("replace", "extra", "key"), [
    (("port = 8000", 'port = "abc"'), "", "[server.port]"),
    (("port = 8000", "port = 70000"), "", "[server.port]"),
    (('url = "sqlite:///baoxiu.db"', 'url = "mysql://app@db/baoxiu"'), "", "[database.url]"),
    (('url = ""', 'url = "http://cache:6379"'), "", "[redis.url]"),
    (('number_prefix = "BX"', 'number_prefix = "bx-"'), "", "[service.number_prefix]"),
    (("tick_seconds = 5", "tick_seconds = 0"), "", "[service.tick_seconds]"),
    (('business_hours = ["09:00-12:00", "13:30-18:00"]', 'business_hours = "09:00-18:00"'), "",
     "[service.business_hours]"),
    (None, '[smtp]\nhost = "mail"\n', "[smtp]"),
    (("port = 8000", 'port = 8000\nhots = "0.0.0.0"'), "", "[server.hots]"),
    (('calendar = "24x7"', 'calendar = "24x7"\nwarn_at = 1.5'), "", "[sla.repair.urgent.warn_at]"),
    (('accept = "30m"\n', ""), "", "[sla.repair.urgent.accept]"),
    (('code = "low"\nname = "低"', 'code = "low"'), "", "[priorities.3.name]"),
])
def test_a_bad_value_names_the_key_and_the_file(tmp_path: Path, replace: tuple[str, str] | None,
                                                 extra: str, key: str) -> None:
    message = settings_error(write_config(tmp_path, replace, extra))
    assert key in message and str(tmp_path / "config.toml") in message


@pytest.mark.parametrize(("replace", "extra", "key"), [
    (('offer_timeout = "15m"', 'offer_timeout = "soon"'), "", "[service.offer_timeout]"),
    (('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus_Mons"'), "", "[service.timezone]"),
    (('business_hours = ["09:00-12:00", "13:30-18:00"]', 'business_hours = ["9 to 5"]'), "",
     "[service.business_hours]"),
    (('default_type = "repair"', 'default_type = "teleport"'), "", "[service.default_type]"),
    (('form = ["product", "address", "phone", "when"]', 'form = ["product", "mood"]'), "",
     "[ticket_types.1.form]"),
    (('accept = "30m"', 'accept = "half an hour"'), "", "[sla.repair.urgent.accept]"),
    (('resolve = "40h"', 'resolve = "40"'), "", "[sla.repair.*.resolve]"),
    (('calendar = "24x7"', 'calendar = "lunar"'), "", "[sla.repair.urgent.calendar]"),
    (None, '[sla.teleport."*"]\naccept = "1h"\narrive = "2h"\nresolve = "3h"\n', "[sla.teleport]"),
])
def test_a_bad_rule_is_refused_by_build_rules_naming_the_key_and_the_file(
        tmp_path: Path, replace: tuple[str, str] | None, extra: str, key: str) -> None:
    path = write_config(tmp_path, replace, extra)
    message = settings_error(path, rules=True)
    assert key in message and str(path) in message


def test_an_unknown_fact_is_named_with_the_known_ones(tmp_path: Path) -> None:
    path = write_config(tmp_path, ('form = ["description", "phone"]', 'form = ["description", "mood"]'))
    message = settings_error(path, rules=True)
    assert "[ticket_types.3.form] unknown fact 'mood'" in message and "description" in message


def test_bootstrap_refuses_a_bad_dialog_ttl_and_an_unsupported_store(tmp_path: Path) -> None:
    env = {"BAOXIU_DATABASE_URL": f"sqlite:///{tmp_path}/desk.db"}
    path = write_config(tmp_path, ('dialog_ttl = "30m"', 'dialog_ttl = "a while"'))
    with pytest.raises(SettingsError, match=re.escape(f"{path}: [service.dialog_ttl]")):
        bootstrap(load_settings(str(path), env=env))
    path = write_config(tmp_path, ('url = ""', f'url = "unix://:{SECRET}@/run/redis.sock"'))
    with pytest.raises(SettingsError) as caught:
        bootstrap(load_settings(str(path), env=env))
    assert f"{path}: [redis.url]" in str(caught.value) and SECRET not in str(caught.value)


# --- secrets are never repeated -------------------------------------------------------------


@pytest.mark.parametrize(("replace", "extra", "key"), [
    (('url = "sqlite:///baoxiu.db"', f'url = "mysql://app:{SECRET}@db/baoxiu"'), "", "[database.url]"),
    (('url = ""', f'url = "http://:{SECRET}@cache:6379/0"'), "", "[redis.url]"),
    (("port = 8000", f'port = "{SECRET}"'), "", "[server.port]"),
    (('url = "sqlite:///baoxiu.db"', f'url = "sqlite:///baoxiu.db"\npassword = "{SECRET}"'), "",
     "[database.password]"),
    (("kf_secret = \"\"", f'kf_secret = ""\nsecrte = "{SECRET}"'), "", "[wecom.secrte]"),
    (('number_prefix = "BX"', f'number_prefix = "{SECRET}"'), "", "[service.number_prefix]"),
])
def test_a_secret_looking_value_never_appears_in_the_error(tmp_path: Path, replace: tuple[str, str] | None,
                                                            extra: str, key: str) -> None:
    message = settings_error(write_config(tmp_path, replace, extra))
    assert key in message and SECRET not in message


def test_a_secret_in_a_bad_environment_value_never_appears_in_the_error(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    message = settings_error(path, env={"BAOXIU_DATABASE_URL": f"mysql://app:{SECRET}@db/baoxiu"})
    assert "[database.url]" in message and SECRET not in message
    message = settings_error(path, env={"BAOXIU_SERVER_PORT": SECRET})
    assert "[server.port]" in message and SECRET not in message


# --- the environment on top of the file -------------------------------------------------------


def test_baoxiu_database_url_wins_over_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    url = "postgresql+psycopg://app:pw@db.internal:5432/baoxiu"
    settings = load_settings(str(path), env={"BAOXIU_DATABASE_URL": url})
    assert settings.database.url == url and settings.database_url() == url


def test_environment_values_are_converted_like_file_values(tmp_path: Path) -> None:
    env = {"BAOXIU_SERVER_PORT": "9100", "BAOXIU_SERVICE_OFFER_TIMEOUT": "5m",
           "BAOXIU_REDIS_URL": "redis://cache:6379/2", "BAOXIU_SERVICE_TICK_SECONDS": "0.5"}
    settings = load_settings(str(write_config(tmp_path)), env=env)
    assert settings.server.port == 9100 and settings.service.tick_seconds == 0.5
    assert settings.redis.url == "redis://cache:6379/2"
    assert build_rules(settings).offer_timeout.total_seconds() == 300
    assert settings.server.host == "127.0.0.1"  # the rest still comes from the file


def test_an_empty_environment_value_leaves_the_file_value(tmp_path: Path) -> None:
    path = write_config(tmp_path, ("port = 8000", "port = 8555"))
    assert load_settings(str(path), env={"BAOXIU_SERVER_PORT": ""}).server.port == 8555


def test_the_real_environment_is_read_when_none_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path)
    monkeypatch.setenv("BAOXIU_DATABASE_URL", "sqlite:////var/lib/baoxiu/desk.db")
    assert load_settings(str(path)).database_url() == "sqlite:////var/lib/baoxiu/desk.db"
    assert load_settings(str(path), env={}).database_url() == f"sqlite:///{tmp_path.resolve() / 'baoxiu.db'}"


def test_an_unknown_environment_key_is_named(tmp_path: Path) -> None:
    message = settings_error(write_config(tmp_path), env={"BAOXIU_SERVER_PROT": "9000"})
    assert "[server.prot]" in message


def test_a_section_written_as_a_plain_value_is_named_even_with_an_environment_override(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('database = "sqlite:///desk.db"\n', encoding="utf-8")
    assert "[database]" in settings_error(path)
    assert "[database]" in settings_error(path, env={"BAOXIU_DATABASE_URL": "sqlite:///other.db"})


def test_settings_never_serialise_where_they_came_from() -> None:
    settings = load_settings(str(EXAMPLE), env={})
    assert "source" not in settings.model_dump() and "base_dir" not in settings.model_dump()
    assert isinstance(settings, Settings)


def test_an_enabled_platform_with_a_bad_key_names_the_key_not_the_value(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    env = {"BAOXIU_WECOM_ENABLED": "true", "BAOXIU_WECOM_CORP_ID": "ww1", "BAOXIU_WECOM_AGENT_ID": "1000002",
           "BAOXIU_WECOM_SECRET": SECRET, "BAOXIU_WECOM_TOKEN": "tok", "BAOXIU_WECOM_ENCODING_AES_KEY": SECRET}
    message = settings_error(path, env=env)
    assert "[wecom.encoding_aes_key] must be 43 characters" in message and SECRET not in message
    message = settings_error(path, env={"BAOXIU_DINGTALK_ENABLED": "true"})
    assert "[dingtalk.app_key] is required" in message


DINGTALK = {"BAOXIU_DINGTALK_ENABLED": "true", "BAOXIU_DINGTALK_APP_KEY": "dingkey",
            "BAOXIU_DINGTALK_APP_SECRET": SECRET, "BAOXIU_DINGTALK_ROBOT_CODE": "dingkey"}
GOOD_AES = "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij"


@pytest.mark.parametrize(("env", "expected"), [
    ({"BAOXIU_DINGTALK_EVENT_TOKEN": "tok", "BAOXIU_DINGTALK_EVENT_AES_KEY": GOOD_AES[:-1] + "-"},
     "[dingtalk.event_aes_key] must be base64"),
    ({"BAOXIU_DINGTALK_EVENT_TOKEN": "tok"}, "[dingtalk.event_aes_key] is required when event_token is set"),
    ({"BAOXIU_DINGTALK_EVENT_AES_KEY": GOOD_AES}, "[dingtalk.event_token] is required when event_aes_key is set"),
    ({"BAOXIU_DINGTALK_SIGN_WINDOW": "86400"}, "[dingtalk.sign_window]"),
    ({"BAOXIU_DINGTALK_API_BASE_URL": "api.dingtalk.com"},
     "[dingtalk.api_base_url] Value error, must be a URL starting with http://"),
    ({"BAOXIU_DINGTALK_OAPI_BASE_URL": "ftp://oapi.dingtalk.com"}, "[dingtalk.oapi_base_url]"),
])
def test_dingtalk_settings_that_would_fail_at_serve_are_refused_in_one_line(
        tmp_path: Path, env: dict[str, str], expected: str) -> None:
    message = settings_error(write_config(tmp_path), env={**DINGTALK, **env})
    assert expected in message and "\n" not in message and GOOD_AES not in message and SECRET not in message


def test_a_complete_dingtalk_event_subscription_is_accepted(tmp_path: Path) -> None:
    env = {**DINGTALK, "BAOXIU_DINGTALK_EVENT_TOKEN": "tok", "BAOXIU_DINGTALK_EVENT_AES_KEY": GOOD_AES,
           "BAOXIU_DINGTALK_SIGN_WINDOW": "3600"}
    assert load_settings(str(write_config(tmp_path)), env=env).dingtalk.event_aes_key == GOOD_AES


def test_a_bad_environment_value_names_the_variable_not_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    message = settings_error(path, env={"BAOXIU_SERVER_PORT": "notint"})
    assert message.startswith("environment variable BAOXIU_SERVER_PORT: [server.port]")
    assert str(path) not in message and "\n" not in message
    settings = load_settings(str(path), env={"BAOXIU_SERVICE_OFFER_TIMEOUT": "zz"})
    with pytest.raises(SettingsError) as caught:
        build_rules(settings)
    assert str(caught.value).startswith("environment variable BAOXIU_SERVICE_OFFER_TIMEOUT: [service.offer_timeout]")


def test_an_unreachable_database_is_one_line_naming_the_key_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://app:{SECRET}@127.0.0.1:1/baoxiu?connect_timeout=2"
    path = write_config(tmp_path, ('url = "sqlite:///baoxiu.db"', f'url = "{url}"'))
    with pytest.raises(SettingsError) as caught:
        bootstrap(load_settings(str(path), env={}))
    message = str(caught.value)
    assert message.startswith(f"{path}: [database.url] cannot connect to the database at 127.0.0.1:1/baoxiu")
    assert SECRET not in message and "\n" not in message
    with pytest.raises(SettingsError) as caught:
        bootstrap(load_settings(str(write_config(tmp_path)), env={"BAOXIU_DATABASE_URL": url}))
    assert str(caught.value).startswith("environment variable BAOXIU_DATABASE_URL: [database.url]")


def test_a_zero_deadline_is_refused_naming_its_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, ('[sla.repair.urgent]\naccept = "30m"', '[sla.repair.urgent]\naccept = "0m"'))
    message = settings_error(path, rules=True)
    assert "[sla.repair.urgent.accept]" in message and "longer than zero" in message


def test_an_sla_policy_for_an_unknown_priority_is_refused_naming_its_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, ("[sla.repair.urgent]", "[sla.repair.urgnet]"))
    message = settings_error(path, rules=True)
    assert "[sla.repair.urgnet]" in message and "no priority 'urgnet'" in message


@pytest.mark.parametrize("plan_id", ["daily-report", "roster-refresh"])
def test_a_plan_may_not_take_the_name_of_a_scheduler_job(tmp_path: Path, plan_id: str) -> None:
    path = write_config(tmp_path, ('id = "cuihu-fire-monthly"', f'id = "{plan_id}"'))
    message = settings_error(path, rules=True)
    assert "[maintenance.0.id]" in message and "already used" in message


def test_a_cron_that_can_never_fire_is_refused_naming_its_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, ('cron = "0 9 1 * *"', 'cron = "0 9 31 2 *"'))
    message = settings_error(path, rules=True)
    assert "[maintenance.0.cron]" in message and "can never fire" in message


def test_a_cron_on_the_29th_of_february_is_accepted(tmp_path: Path) -> None:
    build_rules(load_settings(str(write_config(tmp_path, ('cron = "0 9 1 * *"', 'cron = "0 9 29 2 *"'))), env={}))


def wecom_env(**overrides: str) -> dict[str, str]:
    env = {"BAOXIU_WECOM_ENABLED": "true", "BAOXIU_WECOM_CORP_ID": "ww1", "BAOXIU_WECOM_AGENT_ID": "1000002",
           "BAOXIU_WECOM_SECRET": SECRET, "BAOXIU_WECOM_TOKEN": "tok",
           "BAOXIU_WECOM_ENCODING_AES_KEY": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"}
    return {**env, **overrides}


def test_a_43_character_key_that_is_not_base64_stops_start_up_in_one_line(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    assert load_settings(str(path), env=wecom_env()).wecom.enabled  # the published sample key is fine
    bad = "!" * 10 + "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3"             # 43 characters, not base64
    message = settings_error(path, env=wecom_env(BAOXIU_WECOM_ENCODING_AES_KEY=bad))
    assert "[wecom.encoding_aes_key] must be base64" in message and bad not in message
    assert "\n" not in message and "Traceback" not in message


def test_an_enabled_wecom_without_its_secret_names_the_key(tmp_path: Path) -> None:
    message = settings_error(write_config(tmp_path), env=wecom_env(BAOXIU_WECOM_SECRET=""))
    assert "[wecom.secret] is required" in message


# --- every key from the environment (issue 12, 4) -----------------------------------------------

# Values a generic change would make invalid; every other key gets its file value changed.
OTHER_VALUE = {
    "database.url": "sqlite:///other.db", "redis.url": "redis://cache:6379/3", "dispatch.mode": "grab",
    "dingtalk.mode": "http", "reports.daily_at": "07:30", "service.number_prefix": "WX",
    "service.timezone": "Asia/Urumqi", "maintenance.0.contact_phone": "13900000009",
    "maintenance.0.id": "other-plan", "dingtalk.sign_window": 1800,
    "database.sqlite_synchronous": "normal", "intents.phrasings.0.role": "dispatcher",
    "intents.phrasings.0.intent": "queue", "incidents.contact_phone": "13900000008",
}
# Turning a platform on needs its credentials too.
ALONGSIDE = {
    "wecom.enabled": {"BAOXIU_WECOM_CORP_ID": "ww1", "BAOXIU_WECOM_AGENT_ID": "1000002",
                      "BAOXIU_WECOM_SECRET": "s", "BAOXIU_WECOM_TOKEN": "t",
                      "BAOXIU_WECOM_ENCODING_AES_KEY": "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij"},
    "dingtalk.enabled": {"BAOXIU_DINGTALK_APP_KEY": "k", "BAOXIU_DINGTALK_APP_SECRET": "s",
                         "BAOXIU_DINGTALK_ROBOT_CODE": "k"},
    "wecom_bot.enabled": {"BAOXIU_WECOM_BOT_BOT_ID": "aib1", "BAOXIU_WECOM_BOT_SECRET": "s"},
}


def leaves(table: object, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], object]]:
    """Every key of a parsed TOML file with its value: tables walked, arrays of tables by index."""
    if isinstance(table, dict):
        return [leaf for key, value in table.items() for leaf in leaves(value, (*path, key))]
    if isinstance(table, list) and table and all(isinstance(item, dict) for item in table):
        return [leaf for i, item in enumerate(table) for leaf in leaves(item, (*path, i))]
    return [(path, table)]


def variable(path: tuple[str | int, ...]) -> str:
    return "BAOXIU_" + "_".join(str(p).upper().replace("*", "ANY") for p in path)


def changed(key: str, value: object) -> tuple[str, object]:
    """(the variable's text, the value the settings should then hold)."""
    if key in OTHER_VALUE:
        return str(OTHER_VALUE[key]), OTHER_VALUE[key]
    if isinstance(value, bool):
        return str(not value).lower(), not value
    if isinstance(value, (int, float)):
        return str(value / 2 if isinstance(value, float) else value + 1), value / 2 if isinstance(value, float) else value + 1
    if isinstance(value, list):
        return json.dumps([*value[:-1], "晚班"], ensure_ascii=False), [*value[:-1], "晚班"]
    return f"{value}9", f"{value}9"


def held(settings: Settings, path: tuple[str | int, ...]) -> object:
    here: object = settings
    for key in path:
        here = here[key] if isinstance(here, (dict, list)) else getattr(here, str(key))  # type: ignore[index]
    return here


EXAMPLE_KEYS = leaves(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))


def test_the_example_has_keys_in_every_section_to_walk() -> None:
    sections = {path[0] for path, _ in EXAMPLE_KEYS}
    assert sections == {"server", "database", "redis", "service", "wecom", "wecom_bot", "dingtalk", "dispatch",
                        "survey", "reports", "outbox", "maintenance", "priorities", "ticket_types", "sla", "intents",
                        "incidents"}
    assert len(EXAMPLE_KEYS) > 100


@pytest.mark.parametrize(("path", "value"), EXAMPLE_KEYS, ids=[".".join(map(str, p)) for p, _ in EXAMPLE_KEYS])
def test_every_key_of_the_example_config_is_read_from_its_environment_variable(
        path: tuple[str | int, ...], value: object) -> None:
    key = ".".join(str(p) for p in path)
    text, expected = changed(key, value)
    env = {variable(path): text, **ALONGSIDE.get(key, {})}
    settings = load_settings(str(EXAMPLE), env=env)
    assert held(settings, path) == expected
    assert settings.from_env[key] == variable(path)


def test_a_bogus_dispatch_mode_is_refused_naming_the_variable(tmp_path: Path) -> None:
    message = settings_error(write_config(tmp_path), env={"BAOXIU_DISPATCH_MODE": "bogus"})
    assert message.startswith("environment variable BAOXIU_DISPATCH_MODE: [dispatch.mode]") and "bogus" not in message


@pytest.mark.parametrize(("env", "key"), [
    ({"BAOXIU_OUTBOX_MAX_ATTEMPTS": "0"}, "[outbox.max_attempts]"),
    ({"BAOXIU_DISPATCH_WEIGHTS_REGION": "-1"}, "[dispatch.weights.region]"),
    ({"BAOXIU_REPORTS_DAILY_AT": "25:00"}, "[reports.daily_at]"),
    ({"BAOXIU_SURVEY_DELAY_MINUTES": "5"}, "[survey.delay_minutes]"),
    ({"BAOXIU_SLA_REPAIR_URGENT_WARN_AT": "2"}, "[sla.repair.urgent.warn_at]"),
    ({"BAOXIU_MAINTENANCE_0_CONTACT_PHONE": "110"}, "[maintenance.0.contact_phone]"),
])
def test_a_bad_value_in_any_section_names_its_variable(tmp_path: Path, env: dict[str, str], key: str) -> None:
    message = settings_error(write_config(tmp_path), env=env)
    assert message.startswith(f"environment variable {next(iter(env))}: {key}")


def test_lists_and_tables_come_whole_as_json_or_a_plain_list(tmp_path: Path) -> None:
    env = {"BAOXIU_SERVICE_BUSINESS_HOURS": "08:00-12:00,13:00-17:00",
           "BAOXIU_SERVICE_NEIGHBOURS": '{"上城区": ["下城区"]}',
           "BAOXIU_PRIORITIES": '[{"code": "urgent", "name": "加急"}, {"code": "normal", "name": "普通"}]',
           "BAOXIU_SLA_REPAIR_ANY_RESOLVE": "48h"}
    settings = load_settings(str(write_config(tmp_path)), env=env)
    assert settings.service.business_hours == ["08:00-12:00", "13:00-17:00"]
    assert settings.service.neighbours == {"上城区": ["下城区"]}
    assert [p.name for p in settings.priorities] == ["加急", "普通"]
    assert build_rules(settings).policy("repair", "normal").resolve.total_seconds() == 48 * 3600
    message = settings_error(write_config(tmp_path), env={"BAOXIU_SERVICE_NEIGHBOURS": "{西湖区"})
    assert message.startswith("environment variable BAOXIU_SERVICE_NEIGHBOURS: not valid JSON")


def test_variables_of_no_settings_section_are_left_alone(tmp_path: Path) -> None:
    env = {"BAOXIU_TEST_DATABASE_URL": "postgresql+psycopg://x", "BAOXIU_CONFIG": "elsewhere.toml"}
    assert load_settings(str(write_config(tmp_path)), env=env).database.url == "sqlite:///baoxiu.db"
