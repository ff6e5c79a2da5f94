"""Settings: one TOML file, BAOXIU_<SECTION>_<KEY> on top of any key, one error line naming the bad key."""
from __future__ import annotations

import datetime as dt
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from bot.channels.dingtalk.settings import DingtalkSettings
from bot.channels.wecom.settings import WecomSettings
from bot.channels.wecom_bot.settings import WecomBotSettings
from bot.settings_base import Section as _Section
from bot.settings_security import SecuritySettings
from bot.settings_base import SectionKeyError
from bot.settings_env import EnvError, apply_env


class SettingsError(Exception):
    """Start-up stops with this one line: which key, which file, what is wrong."""


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # one line per HTTP request; off by default, it costs more than a callback's own work
    access_log: bool = False


class DatabaseSettings(_Section):
    url: str = "sqlite:///baoxiu.db"
    # SQLite: FULL makes each commit durable before the platform gets its answer; NORMAL is
    # faster and can lose the last commits on a power cut (never on a crash of the process).
    sqlite_synchronous: Literal["full", "normal"] = "full"
    # SQLite: the most a writer waits for its turn (writers of a process take turns, each
    # holding the lock for one short transaction; this is a ceiling for a starved machine).
    busy_timeout_ms: int = Field(default=30000, ge=100, le=60000)

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        if not v.startswith(("sqlite:", "postgresql")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        return v


class RedisSettings(_Section):
    url: str = ""

    @field_validator("url")
    @classmethod
    def _redis_scheme(cls, v: str) -> str:
        if v and not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be empty or start with redis://")
        return v


class ServiceSettings(_Section):
    timezone: str = "Asia/Shanghai"
    business_hours: list[str] = ["09:00-12:00", "13:30-18:00"]
    number_prefix: str = Field(default="BX", pattern=r"^[A-Z]{1,6}$")
    offer_timeout: str = "15m"
    dialog_ttl: str = "30m"
    default_type: str = "repair"
    tick_seconds: float = Field(default=5, gt=0)
    media_dir: str = "media"
    escalate_after: str = "2h"
    neighbours: dict[str, list[str]] = {}
    weekend_visits: bool = True       # told to owners who ask whether technicians come at weekends
    holiday_visits: bool = False


class PhrasingSettings(_Section):
    role: Literal["owner", "technician", "dispatcher", "manager"]
    intent: str = Field(pattern=r"^[a-z_]{2,20}$")
    text: str = Field(min_length=1, max_length=40)


class IntentSettings(_Section):
    phrasings: list[PhrasingSettings] = []


class WeightSettings(_Section):
    region: float = Field(default=0.4, ge=0)
    load: float = Field(default=0.25, ge=0)
    first_fix: float = Field(default=0.15, ge=0)
    rating: float = Field(default=0.1, ge=0)
    fairness: float = Field(default=0.1, ge=0)


class DispatchSettings(_Section):
    mode: Literal["auto", "grab"] = "auto"
    grab_timeout: str = "30m"
    grab_limit: int = Field(default=20, ge=1, le=200)
    weights: WeightSettings = WeightSettings()


class SurveySettings(_Section):
    delay: str = "10m"
    remind_after: str = "24h"
    auto_close_after: str = "72h"


class ReportSettings(_Section):
    daily_at: str = Field(default="18:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^$")


class DocumentSettings(_Section):
    """[documents]: what the printed forms (服务确认单) say about the company, and their layout."""

    company: str = ""
    logo: str = ""                    # PNG or JPEG, relative to the config file
    confirmation_template: str = ""   # TOML layout, relative to the config file; empty: the built-in one


class FaultKindSettings(_Section):
    code: str = Field(pattern=r"^[a-z_]{1,32}$")
    name: str = Field(min_length=1, max_length=32)
    words: list[str] = Field(min_length=1)
    from_above: bool = False


class IncidentSettings(_Section):
    """[incidents]: several reports of one fault kind at one place within `window` form one incident."""

    enabled: bool = True
    window: str = "2h"
    threshold: int = Field(default=3, ge=2, le=100)
    kinds: list[FaultKindSettings] = []     # empty: 停水, 停电, 电梯停了, 楼上漏水 with their usual words
    # the property office: the one job for the cause is opened for this phone ("" = the first report is it)
    contact_phone: str = Field(default="", pattern=r"^(1[3-9]\d{9})?$")
    cause_type: str = ""                    # the cause job's ticket type; "" = [service] default type


class OutboxSettings(_Section):
    max_attempts: int = Field(default=8, ge=1, le=100)       # failed sends before a dead letter
    backoff_seconds: int = Field(default=30, ge=1, le=3600)  # first wait; doubles after each failure


class PlanSettings(_Section):
    id: str = Field(pattern=r"^[\w.-]{1,40}$")
    cron: str
    community: str
    contact_phone: str = Field(pattern=r"^1[3-9]\d{9}$")
    type: str = "inspection"
    description: str = "例行巡检"
    building: str = ""
    product_sku: str | None = None
    priority: str = "normal"


class HolidaySettings(_Section):
    """Days off from the State Council's notice; `end` (inclusive) left out for one day."""

    name: str = Field(min_length=1, max_length=20)
    start: dt.date
    end: dt.date | None = None

    @model_validator(mode="after")
    def _in_order(self) -> HolidaySettings:
        if self.end is not None and not self.start <= self.end <= self.start + dt.timedelta(days=31):
            raise SectionKeyError("end", "must be on or after start, within a month")
        return self

    def days(self) -> list[dt.date]:
        last = self.end or self.start
        return [self.start + dt.timedelta(days=i) for i in range((last - self.start).days + 1)]


class WorkdaySettings(_Section):
    """A weekend day worked instead (调休 make-up workday)."""

    date: dt.date
    name: str = ""


class CalendarSettings(_Section):
    holidays: list[HolidaySettings] = []
    workdays: list[WorkdaySettings] = []

    def holiday_days(self) -> frozenset[dt.date]:
        return frozenset(d for h in self.holidays for d in h.days())

    def workday_days(self) -> frozenset[dt.date]:
        return frozenset(w.date for w in self.workdays)


class PrioritySettings(_Section):
    code: str
    name: str


class TicketTypeSettings(_Section):
    code: str
    name: str
    form: list[str]
    keywords: list[str] = []
    labour: float = Field(default=0, ge=0)


class SlaSettings(_Section):
    accept: str
    arrive: str
    resolve: str
    calendar: str = "business"
    warn_at: float = Field(default=0.8, gt=0, lt=1)


class Settings(_Section):
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    service: ServiceSettings = ServiceSettings()
    dispatch: DispatchSettings = DispatchSettings()
    survey: SurveySettings = SurveySettings()
    reports: ReportSettings = ReportSettings()
    outbox: OutboxSettings = OutboxSettings()
    calendar: CalendarSettings = CalendarSettings()
    documents: DocumentSettings = DocumentSettings()
    incidents: IncidentSettings = IncidentSettings()
    maintenance: list[PlanSettings] = []
    wecom: WecomSettings = WecomSettings()
    wecom_bot: WecomBotSettings = WecomBotSettings()
    dingtalk: DingtalkSettings = DingtalkSettings()
    security: SecuritySettings = SecuritySettings()
    priorities: list[PrioritySettings] = []
    ticket_types: list[TicketTypeSettings] = []
    sla: dict[str, dict[str, SlaSettings]] = {}
    intents: IntentSettings = IntentSettings()
    source: str = Field(default="(defaults)", exclude=True)
    base_dir: Path = Field(default=Path("."), exclude=True)
    from_env: dict[str, str] = Field(default={}, exclude=True)   # "server.port" -> "BAOXIU_SERVER_PORT"

    def origin(self, key: str) -> str:
        """Where a key's value came from, for error lines: the environment variable, or the file."""
        name = self.from_env.get(key)
        return f"environment variable {name}" if name else self.source

    def media_path(self) -> Path:
        return (self.base_dir / self.service.media_dir).resolve()

    def database_url(self) -> str:
        """SQLite paths are relative to the config file, so any working directory works."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and url != "sqlite:///:memory:" and not url.startswith(prefix + "/"):
            return prefix + str((self.base_dir / url[len(prefix):]).resolve())
        return url


def find_config(explicit: str | None, env: Any = None) -> Path | None:
    chosen = explicit or (os.environ if env is None else env).get("BAOXIU_CONFIG")
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise SettingsError(f"config file not found: {path}")
        return path
    local = Path("config.toml")
    return local if local.is_file() else None


def load_settings(explicit: str | None = None, env: dict[str, str] | None = None) -> Settings:
    path = find_config(explicit, env)
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise SettingsError(f"{path}: not valid TOML: {e}") from None
    try:
        from_env = apply_env(Settings, raw, os.environ if env is None else env)
    except EnvError as e:
        raise SettingsError(str(e)) from None
    source = str(path) if path else "(defaults)"
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as e:
        raise SettingsError(_one_line(e, source, from_env)) from None
    settings.source, settings.from_env = source, from_env
    settings.base_dir = path.parent.resolve() if path else Path.cwd()
    return settings


def _one_line(error: ValidationError, source: str, from_env: dict[str, str] | None = None) -> str:
    first = error.errors()[0]
    key, problem = ".".join(str(p) for p in first["loc"]), first["msg"]
    ctx_error = first.get("ctx", {}).get("error")
    if isinstance(ctx_error, SectionKeyError):
        inner, _, problem = str(ctx_error).partition(": ")
        key = f"{key}.{inner}"
    if from_env and key in from_env:
        source = f"environment variable {from_env[key]}"
    # Never echo the offending value: it may be a secret.
    return f"{source}: [{key}] {problem}"
