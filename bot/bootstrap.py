"""The one composition root: settings in, a ready `Desk` out. Real objects unless fakes are given."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError

from bot.settings import Settings, SettingsError
from domain import roster
from domain.calendar import (AroundTheClock, BusinessCalendar, Calendar, ChinaWorkdays, ending_soon, known_until,
                             parse_hours)
from domain.dispatch import Weights
from domain.incidents import DEFAULT_KINDS, FaultKind, IncidentPolicy
from domain.reports import DAILY_REPORT
from domain.rules import FACTS, Plan, Priority, Rules, SurveyPolicy, TicketType
from domain.sla import SlaPolicy, parse_duration
from handlers.phrasings import TABLES
from scheduler.cron import crontab_trigger
from storage import db, sealing
from storage.handoff import Handoff
from storage.kv import KeyValueStore
from storage.kv_open import open_store
from storage.uow import SqlUnitOfWork

log = logging.getLogger("baoxiu")
Clock = Callable[[], datetime]

DEFAULT_PRIORITIES = (Priority("urgent", "紧急"), Priority("high", "高"), Priority("normal", "普通"),
                      Priority("low", "低"))
DEFAULT_TYPES = (TicketType("repair", "维修", ("product", "description", "address", "phone")),)


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Desk:
    """Everything a command, a request or a job needs, built once."""

    settings: Settings
    rules: Rules
    engine: Engine
    store: KeyValueStore
    clock: Clock
    dialog_ttl: timedelta
    # Set when this process's worker loop delivers: callbacks hand their replies to it (storage.handoff).
    handoff: Handoff | None = None

    def uow(self, readonly: bool = False) -> SqlUnitOfWork:
        """A unit of work; a `readonly` one only reads, and takes no write lock on SQLite."""
        return SqlUnitOfWork(self._read_factory if readonly else self._factory)

    def __post_init__(self) -> None:
        self._factory = db.session_factory(self.engine)
        self._read_factory = db.session_factory(self.engine, read_only=True)

    def close(self) -> None:
        self.store.close()
        self.engine.dispose()


def bootstrap(settings: Settings, clock: Clock = system_clock, store: KeyValueStore | None = None,
              engine: Engine | None = None, migrate: bool = True) -> Desk:
    # Everything that can be wrong in the settings is checked before anything is created.
    rules = build_rules(settings)
    ttl = _duration(settings, "service.dialog_ttl", settings.service.dialog_ttl)
    try:
        store = store or open_store(settings.redis.url)
    except ValueError as e:
        raise SettingsError(f"{settings.origin('redis.url')}: [redis.url] {e}") from None
    engine = engine or _engine(settings)
    sealing.configure(settings.security.keys())   # before the migrations: they seal existing rows
    if migrate:
        try:
            db.upgrade(engine)
        except (OperationalError, InterfaceError) as e:
            engine.dispose()
            raise SettingsError(f"{settings.origin('database.url')}: [database.url] cannot connect to the database"
                                f" at {_where(settings.database_url())} ({type(e.orig).__name__})") from None
    _warn_if_calendar_ends(rules, clock)
    return Desk(settings, rules, engine, store, clock, ttl)


def _warn_if_calendar_ends(rules: Rules, clock: Clock) -> None:
    if rules.calendar_known_until is None:
        return
    warning = ending_soon(clock().astimezone(rules.tz).date(), rules.calendar_known_until)
    if warning:
        log.warning("%s", warning)


def _engine(settings: Settings) -> Engine:
    try:
        d = settings.database
        return db.make_engine(settings.database_url(), d.busy_timeout_ms, d.sqlite_synchronous)
    except (ArgumentError, ValueError):
        raise SettingsError(f"{settings.origin('database.url')}: [database.url] is not a database URL") from None


def _where(url: str) -> str:
    """Host and database, never the password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def build_rules(settings: Settings) -> Rules:
    svc = settings.service
    try:
        tz = ZoneInfo(svc.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{settings.origin('service.timezone')}: [service.timezone] unknown time zone") from None
    try:
        hours = parse_hours(svc.business_hours)
    except ValueError as e:
        raise SettingsError(f"{settings.origin('service.business_hours')}: [service.business_hours] {e}") from None
    calendars: dict[str, Calendar] = {
        "24x7": AroundTheClock(),
        "business": BusinessCalendar(tz, hours, is_workday=ChinaWorkdays(
            _calendar_fallback, settings.calendar.holiday_days(), settings.calendar.workday_days())),
    }
    types = _ticket_types(settings)
    _check_phrasings(settings)
    if svc.default_type not in types:
        raise SettingsError(f"{settings.origin('service.default_type')}: [service.default_type] "
                            f"no ticket type {svc.default_type!r}")
    priorities = tuple(Priority(p.code, p.name) for p in settings.priorities) or DEFAULT_PRIORITIES
    d = settings.dispatch
    return Rules(
        tz=tz, ticket_types=types, priorities=priorities, sla=_policies(settings, calendars, types, priorities),
        calendars=calendars, offer_timeout=_duration(settings, "service.offer_timeout", svc.offer_timeout),
        default_type=svc.default_type, default_priority=_default_priority(priorities),
        urgent_priority=priorities[0].code, number_prefix=svc.number_prefix,
        region_neighbours={k: tuple(v) for k, v in svc.neighbours.items()},
        dispatch_mode=d.mode, grab_timeout=_duration(settings, "dispatch.grab_timeout", d.grab_timeout),
        grab_limit=d.grab_limit, weights=Weights(**d.weights.model_dump()),
        escalate_after=_duration(settings, "service.escalate_after", svc.escalate_after),
        survey=SurveyPolicy(*(_duration(settings, f"survey.{k}", getattr(settings.survey, k))
                              for k in ("delay", "remind_after", "auto_close_after"))),
        daily_report_at=time.fromisoformat(settings.reports.daily_at) if settings.reports.daily_at else None,
        plans=_plans(settings, types, tz),
        calendar_known_until=known_until(settings.calendar.holiday_days() | settings.calendar.workday_days()),
        incidents=_incidents(settings, types), business_hours=tuple(svc.business_hours),
        weekend_visits=svc.weekend_visits, holiday_visits=svc.holiday_visits,
        phrasings=tuple((p.role, p.intent, p.text) for p in settings.intents.phrasings))


def _incidents(settings: Settings, types: dict[str, TicketType]) -> IncidentPolicy:
    s = settings.incidents
    if s.cause_type and s.cause_type not in types:
        raise SettingsError(f"{settings.source}: [incidents.cause_type] no ticket type {s.cause_type!r}")
    kinds = tuple(FaultKind(k.code, k.name, tuple(k.words), k.from_above) for k in s.kinds) or DEFAULT_KINDS
    return IncidentPolicy(_duration(settings, "incidents.window", s.window), s.threshold, kinds, s.enabled,
                          s.contact_phone, s.cause_type)


def _check_phrasings(settings: Settings) -> None:
    for i, p in enumerate(settings.intents.phrasings):
        known = [spec.name for spec in TABLES[p.role]]
        if p.intent not in known:
            raise SettingsError(f"{settings.source}: [intents.phrasings.{i}.intent] {p.role} has no intent "
                                f"{p.intent!r}; one of: {', '.join(known)}")


def _plans(settings: Settings, types: dict[str, TicketType], tz: ZoneInfo) -> tuple[Plan, ...]:
    plans: list[Plan] = []
    # The scheduler records its own jobs' runs beside the plans' runs, under these names.
    taken = {DAILY_REPORT, roster.JOB}
    for i, p in enumerate(settings.maintenance):
        key = f"maintenance.{i}"
        if p.id in taken or any(p.id == other.id for other in plans):
            raise SettingsError(f"{settings.source}: [{key}.id] {p.id!r} is already used; give each plan its own id")
        try:
            trigger = crontab_trigger(p.cron, tz)
        except ValueError:
            raise SettingsError(f"{settings.source}: [{key}.cron] not a cron expression like '0 9 1 * *'") from None
        if trigger.get_next_fire_time(None, datetime(2024, 1, 1, tzinfo=tz)) is None:
            raise SettingsError(f"{settings.source}: [{key}.cron] {p.cron!r} can never fire (no such date)")
        if p.type not in types:
            raise SettingsError(f"{settings.source}: [{key}.type] no ticket type {p.type!r}")
        plans.append(Plan(p.id, p.cron, p.community, p.contact_phone, p.type, p.description, p.building,
                          p.product_sku, p.priority))
    return tuple(plans)


def _default_priority(priorities: tuple[Priority, ...]) -> str:
    codes = [p.code for p in priorities]
    return "normal" if "normal" in codes else codes[len(codes) // 2]


def _ticket_types(settings: Settings) -> dict[str, TicketType]:
    types = {}
    for i, t in enumerate(settings.ticket_types):
        unknown = [f for f in t.form if f not in FACTS]
        if unknown:
            raise SettingsError(f"{settings.source}: [ticket_types.{i}.form] unknown fact {unknown[0]!r}; "
                                f"known: {', '.join(FACTS)}")
        types[t.code] = TicketType(t.code, t.name, tuple(t.form), tuple(t.keywords), round(t.labour * 100))
    return types or {t.code: t for t in DEFAULT_TYPES}


def _policies(settings: Settings, calendars: dict[str, Calendar], types: dict[str, TicketType],
              priorities: tuple[Priority, ...]) -> dict[tuple[str, str], SlaPolicy]:
    out = {}
    codes = [p.code for p in priorities]
    for type_code, by_priority in settings.sla.items():
        if type_code not in types:
            raise SettingsError(f"{settings.source}: [sla.{type_code}] no ticket type {type_code!r}")
        for prio, p in by_priority.items():
            key = f"sla.{type_code}.{prio}"
            if prio != "*" and prio not in codes:  # a typo would silently fall back to the "*" policy
                raise SettingsError(f"{settings.source}: [{key}] no priority {prio!r}; "
                                    f"known: {', '.join(codes)} or \"*\"")
            if p.calendar not in calendars:
                raise SettingsError(f"{settings.source}: [{key}.calendar] must be one of {', '.join(calendars)}")
            spans = {k: _positive(settings, f"{key}.{k}", getattr(p, k)) for k in ("accept", "arrive", "resolve")}
            try:
                out[(type_code, prio)] = SlaPolicy(**spans, calendar=p.calendar, warn_at=p.warn_at)
            except ValueError as e:
                raise SettingsError(f"{settings.source}: [{key}.warn_at] {e}") from None
    return out


def _positive(settings: Settings, key: str, text: str) -> timedelta:
    span = _duration(settings, key, text)
    if span <= timedelta(0):
        raise SettingsError(f"{settings.source}: [{key}] must be longer than zero, got {text!r}")
    return span


def _duration(settings: Settings, key: str, text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError:
        raise SettingsError(f"{settings.origin(key)}: [{key}] not a duration like 30m, 4h or 2d") from None


def _calendar_fallback(day: object) -> None:
    log.warning("holiday calendar does not cover %s; counting Monday to Friday as workdays", day)
