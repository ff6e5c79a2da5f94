"""SQLAlchemy 2 tables. Times are stored as naive UTC and come back tz-aware."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (JSON, ColumnElement, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer,
                        SmallInteger, String, text)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates
from sqlalchemy.types import TypeDecorator

from storage import sealing
from storage.sealing import Masked, Sealed


class UtcDateTime(TypeDecorator[datetime]):
    """Refuses naive datetimes; SQLite has no time zones, so normalise to UTC both ways."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON, list[str]: JSON, date: Date}


class CustomerRow(Base):
    __tablename__ = "customers"
    __table_args__ = (Index("uq_customers_phone_hash", "phone_hash", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(Sealed(sqlite_length=20))
    # HMAC of the phone: how a customer is found, and why one phone is one customer
    phone_hash: Mapped[str | None] = mapped_column(String(64))   # set with the phone, never empty
    name: Mapped[str] = mapped_column(Sealed(sqlite_length=64), default="")

    @validates("phone")
    def _hash_phone(self, _key: str, phone: str) -> str:
        self.phone_hash = sealing.current().lookup(phone)
        return phone

    @staticmethod
    def phone_is(phone: str) -> ColumnElement[bool]:
        """A where-clause finding this phone, under any listed key (rows not yet rotated too)."""
        return CustomerRow.phone_hash.in_(sealing.current().lookups(phone))
    created_at: Mapped[datetime] = mapped_column(default=lambda: datetime.now(timezone.utc))


class CommunityRow(Base):
    __tablename__ = "communities"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), default="")
    address: Mapped[str] = mapped_column(String(200), default="")


class SiteRow(Base):
    """A place: a whole community (building, unit and room empty) or one home in it.

    The community is a public name and stays readable (figures count by it); building, unit and
    room locate a person, so they are sealed, and the place is found (and kept unique) by a keyed
    hash of all four."""

    __tablename__ = "sites"
    __table_args__ = (Index("uq_sites_place_hash", "place_hash", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community: Mapped[str] = mapped_column(String(64))
    building: Mapped[str] = mapped_column(Sealed(sqlite_length=16), default="")
    unit: Mapped[str] = mapped_column(Sealed(sqlite_length=16), default="")
    room: Mapped[str] = mapped_column(Sealed(sqlite_length=16), default="")
    region: Mapped[str] = mapped_column(String(32), default="")
    place_hash: Mapped[str | None] = mapped_column(String(64))   # set with the fields, never empty

    @validates("community", "building", "unit", "room")
    def _hash_place(self, key: str, value: str) -> str:
        fields = {f: getattr(self, f, None) or "" for f in ("community", "building", "unit", "room")}
        self.place_hash = place_lookup(**{**fields, key: value or ""})
        return value

    @staticmethod
    def place_is(community: str, building: str = "", unit: str = "", room: str = "") -> ColumnElement[bool]:
        """A where-clause finding this place under any listed key (rows not yet rotated too)."""
        return SiteRow.place_hash.in_(sealing.current().lookups(sealing.joined(community, building, unit, room)))


def place_lookup(community: str, building: str = "", unit: str = "", room: str = "") -> str:
    """The hash a site is written with."""
    return sealing.current().lookup(sealing.joined(community, building, unit, room))


class ProductRow(Base):
    __tablename__ = "products"
    sku: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(40))
    skill: Mapped[str] = mapped_column(String(32))
    warranty_months: Mapped[int] = mapped_column(Integer, default=12)
    aliases: Mapped[list[str]] = mapped_column(default=list)


class AssetRow(Base):
    """Something a customer bought and had installed: the thing a repair is about."""

    __tablename__ = "assets"
    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str | None] = mapped_column(String(64), unique=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    purchase_date: Mapped[date | None]
    install_date: Mapped[date | None]
    warranty_end: Mapped[date | None]


class PartRow(Base):
    __tablename__ = "parts"
    sku: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    price_cents: Mapped[int] = mapped_column(default=0)
    fits: Mapped[list[str]] = mapped_column(default=list)   # product SKUs this part fits
    aliases: Mapped[list[str]] = mapped_column(default=list, server_default="[]")   # what technicians say


class StockRow(Base):
    """Stock of one part at one place: a warehouse code, or `van:<technician id>`."""

    __tablename__ = "stock"
    part_sku: Mapped[str] = mapped_column(ForeignKey("parts.sku"), primary_key=True)
    location: Mapped[str] = mapped_column(String(40), primary_key=True)
    quantity: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    low_at: Mapped[int] = mapped_column(default=2)   # warn the desk when what is free falls to this
    __table_args__ = (CheckConstraint("quantity >= 0 AND reserved >= 0 AND reserved <= quantity",
                                      name="ck_stock_never_negative"),)


class ReservationRow(Base):
    __tablename__ = "reservations"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    part_sku: Mapped[str] = mapped_column(ForeignKey("parts.sku"))
    location: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="reserved")   # reserved, used, released
    created_at: Mapped[datetime]


class TechnicianRow(Base):
    __tablename__ = "technicians"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(Sealed(sqlite_length=20), default="")
    skills: Mapped[list[str]] = mapped_column(default=list)
    regions: Mapped[list[str]] = mapped_column(default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=4)
    on_duty: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    last_offered_at: Mapped[datetime | None]
    # Kept for dispatch so choosing among thousands reads no tickets: open_jobs by every
    # ticket save (and recounted by the hourly job), the record by that job.
    open_jobs: Mapped[int] = mapped_column(default=0)
    record_first_fix: Mapped[float | None] = mapped_column(Float)
    record_rating: Mapped[float | None] = mapped_column(Float)


class TechnicianSkillRow(Base):
    """One row per technician and skill, kept in step with `technicians` by triggers (migration
    0017), whatever writes the roster; the empty skill (a job needing none) is everyone's.
    `unavailable` says why the technician cannot take a job now (`dispatch_query.UNAVAILABLE`),
    so dispatch reads who may by index and counts who may not without reading their rows."""

    __tablename__ = "technician_skills"
    technician_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("technicians.id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(String, primary_key=True)   # as long as the roster spells it
    unavailable: Mapped[int] = mapped_column(SmallInteger)
    __table_args__ = (Index("ix_technician_skills_skill", "skill", "unavailable", "technician_id"),
                      {"sqlite_with_rowid": False})


class TechnicianRegionRow(Base):
    """One row per technician and region served, kept in step like `technician_skills`."""

    __tablename__ = "technician_regions"
    technician_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("technicians.id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True)
    region: Mapped[str] = mapped_column(String, primary_key=True)
    __table_args__ = (Index("ix_technician_regions_region", "region", "technician_id"),
                      {"sqlite_with_rowid": False})


class StaffRow(Base):
    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)


class IdentityRow(Base):
    """A person as a chat platform knows them; the newest one is where notices go."""

    __tablename__ = "identities"
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[str] = mapped_column(String(32))
    last_seen: Mapped[datetime]
    __table_args__ = (Index("ix_identity_person", "role", "person_id"),)


# What service quality, 师傅排行 and the breakdowns read of a ticket finished in a period.
FIGURES_READ = ["state", "id", "created_at", "asset_id", "reopen_count", "product_sku", "site_id", "parts_cents",
                "rating", "assignee_id"]


class TicketRow(Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(24))
    priority: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    description: Mapped[str] = mapped_column(Sealed(), default="")   # as typed: phones, addresses
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    product_sku: Mapped[str | None] = mapped_column(String(40))
    asset_serial: Mapped[str | None] = mapped_column(String(64))
    assignee_id: Mapped[str | None] = mapped_column(String(32), index=True)
    offer_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    declined: Mapped[list[str]] = mapped_column(default=list)
    photos: Mapped[list[str]] = mapped_column(default=list)
    appointment_start: Mapped[datetime | None]
    appointment_end: Mapped[datetime | None]
    created_at: Mapped[datetime]
    accept_by: Mapped[datetime | None]
    arrive_by: Mapped[datetime | None]
    resolve_by: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    held_from: Mapped[str | None] = mapped_column(String(16))
    held_at: Mapped[datetime | None]
    hold_reason: Mapped[str] = mapped_column(Sealed(sqlite_length=200), default="")
    resolution_note: Mapped[str] = mapped_column(Sealed(), default="")
    parts_used: Mapped[str] = mapped_column(String(500), default="")
    rating: Mapped[int | None]
    rating_comment: Mapped[str] = mapped_column(Sealed(sqlite_length=500), default="")
    urge_count: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)
    hold_count: Mapped[int] = mapped_column(default=0)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"), index=True)
    warranty: Mapped[str] = mapped_column(String(10), default="unknown")   # in, expired, unknown
    labour_cents: Mapped[int] = mapped_column(default=0)
    parts_cents: Mapped[int] = mapped_column(default=0)
    charge_cents: Mapped[int] = mapped_column(default=0)
    offered: Mapped[list[str]] = mapped_column(default=list)
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    sla_fired: Mapped[list[str]] = mapped_column(default=list)
    breaches: Mapped[list[str]] = mapped_column(default=list)
    followup_at: Mapped[datetime | None] = mapped_column(index=True)
    followup_stage: Mapped[str] = mapped_column(String(16), default="")
    pauses: Mapped[list[str]] = mapped_column(default=list)   # ["start/end" ISO pairs] of closed holds
    accept_from: Mapped[datetime | None]
    callback_state: Mapped[str] = mapped_column(String(8), default="", index=True)   # open, done
    callback_note: Mapped[str] = mapped_column(Sealed(sqlite_length=300), default="")
    __table_args__ = (
        # The figures count by these timestamps (storage.stats_query). On PostgreSQL each index also
        # carries the columns its figures read, so a period is counted from the index alone (an
        # index-only scan) and never from heap pages scattered over years of tickets.
        Index("ix_tickets_created_at", "created_at", postgresql_include=["site_id", "product_sku"]),
        Index("ix_tickets_accepted_at", "accepted_at", postgresql_include=["created_at"]),
        Index("ix_tickets_resolved_at", "resolved_at", postgresql_include=[*FIGURES_READ, "breaches"]),
        Index("ix_tickets_closed_at", "closed_at", postgresql_include=FIGURES_READ),
        # repeat repairs: the same asset's jobs closed in the 30 days before a ticket opened
        Index("ix_tickets_asset_closed", "asset_id", "closed_at", postgresql_include=["id"]))


class TicketEventRow(Base):
    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(48))
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    # Masked, not sealed: figures search hold reasons by word. The writer seals every other reason.
    reason: Mapped[str] = mapped_column(Masked(sqlite_length=500), default="")
    __table_args__ = (Index("ix_ticket_events_action_at", "action", "at"),   # e.g. breaches per day
                      # a ticket's trail; whether it was ever held, without reading its other entries
                      Index("ix_ticket_events_ticket_action", "ticket_id", "action"),
                      # whether a ticket was held for parts, read from the index alone (stats_query)
                      Index("ix_ticket_events_holds", "ticket_id", postgresql_include=["reason"],
                            postgresql_where=text("action = 'hold'"), sqlite_where=text("action = 'hold'")))


class OutboxRow(Base):
    """A notice waiting to be delivered; `key` makes delivery idempotent."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[str] = mapped_column(String(32))
    ticket_number: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    # A reply goes back exactly where the message came from; a notice follows the person.
    channel: Mapped[str] = mapped_column(String(16), default="")
    address: Mapped[str] = mapped_column(String(128), default="")
    text: Mapped[str] = mapped_column(Sealed())   # a technician's notice holds the owner's phone and room
    buttons: Mapped[list[str]] = mapped_column(default=list)
    # a file the worker renders and sends with the text: {"render": "chart" | "confirmation", ...}
    attachment: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),)


class InboundRow(Base):
    """Every platform message handled once: the unique key stops retries."""

    __tablename__ = "inbound_messages"
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime]


class CounterRow(Base):
    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(default=False)
    scopes: Mapped[str] = mapped_column(String(64), default="read", server_default="admin")  # space-separated
    last_used_at: Mapped[datetime | None]


class MediaRow(Base):
    """A photo sent through a platform, downloaded off the callback path."""

    __tablename__ = "media"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(256))
    ticket_number: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(8), default="pending", index=True)
    path: Mapped[str] = mapped_column(String(300), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]   # the next try (None: now); while fetching, the claim's lease


class PlanRunRow(Base):
    """One firing of a preventive-maintenance plan; the key stops a second ticket."""

    __tablename__ = "plan_runs"
    plan: Mapped[str] = mapped_column(String(64), primary_key=True)
    fire_at: Mapped[datetime] = mapped_column(primary_key=True)
    ticket_number: Mapped[str] = mapped_column(String(32), default="")


class DispatchDecisionRow(Base):
    """Why a technician was chosen: every candidate considered, with its score parts."""

    __tablename__ = "dispatch_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime]
    mode: Mapped[str] = mapped_column(String(8))
    chosen: Mapped[list[str]] = mapped_column(default=list)
    candidates: Mapped[list[str]] = mapped_column(default=list)


class CursorRow(Base):
    """A position in a platform's message stream (微信客服 next_cursor), kept across restarts."""

    __tablename__ = "cursors"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(512), default="")
    updated_at: Mapped[datetime]


class DingtalkCardRow(Base):
    """A DingTalk interactive card we delivered: where it is, which ticket, which buttons it had.

    Kept in the database, not the key-value store, so a click after a restart is still honoured
    and a card can still be closed once its job has gone elsewhere."""

    __tablename__ = "dingtalk_cards"
    out_track_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(128))
    ticket_number: Mapped[str] = mapped_column(String(32), default="")
    buttons: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    __table_args__ = (Index("ix_dingtalk_card_ticket", "ticket_number", "address"),)


class KfPullRow(Base):
    """A 微信客服 pull that has not finished yet: retried by the scheduler until it does."""

    __tablename__ = "kf_pulls"
    open_kfid: Mapped[str] = mapped_column(String(64), primary_key=True)
    # the event's token, good for 10 minutes: whoever holds it may pull the account's messages
    token: Mapped[str] = mapped_column(Sealed(sqlite_length=256), default="")
    token_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(String(300), default="")


class KfSessionRow(Base):
    """微信客服's send window per customer: 48 h after their last message, 5 messages from us in it."""

    __tablename__ = "kf_sessions"
    external_userid: Mapped[str] = mapped_column(String(128), primary_key=True)
    open_kfid: Mapped[str] = mapped_column(String(64))
    last_message_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(64))   # msgid of that message: a replay opens nothing new
    sent: Mapped[int] = mapped_column(default=0)


class IncidentRow(Base):
    """Many reports, one cause: a burst at one place, or a leak from the unit above."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    kind_name: Mapped[str] = mapped_column(String(32))
    community: Mapped[str] = mapped_column(String(64))
    building: Mapped[str] = mapped_column(String(16), default="")
    lead_number: Mapped[str] = mapped_column(String(32))        # the job that deals with the cause
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class IncidentTicketRow(Base):
    __tablename__ = "incident_tickets"
    ticket_number: Mapped[str] = mapped_column(String(32), primary_key=True)   # one incident per ticket
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    linked_at: Mapped[datetime]


class LeaseRow(Base):
    """Who holds a thing only one process may hold at a time (a platform's single long connection),
    until when. The holder renews it; once it has run out any other process may take it over."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
