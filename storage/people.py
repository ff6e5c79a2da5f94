"""People, places and the product catalog over one SQLAlchemy session."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (ColumnElement, CompoundSelect, Select, Table, bindparam, literal, null, select, text,
                        type_coerce, union_all)
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from domain.dispatch import Candidate, Exclusions, Job, Record, Weights
from domain.model import Asset, Community, Customer, Product, Site, Staff, Technician
from domain.ports import PartsRead
from storage import dispatch_query, mapping
from storage import parts as parts_query
from storage.parts import USAGE_LIMIT, SqlParts
from storage import sealing
from storage.upsert import insert_ignore
from storage.tables import AssetRow, CommunityRow, CustomerRow, ProductRow, SiteRow, StaffRow, TechnicianRow, place_lookup


def by_key(session: Session, mapped: type[Any], key: object) -> Any:
    """One row by primary key, as `session.get` finds it, at a fraction of its cost on a miss:
    an object this session holds is returned as it stands; otherwise pending objects are
    flushed (as `get` would) and a prebuilt Core statement reads the row. Every dispatch reads
    the ticket's product and site this way."""
    held = session.identity_map.get(identity_key(mapped, key))
    if held is not None:
        return held
    if session.new and session.autoflush:
        session.flush()
    return session.execute(_by_key(cast(Table, mapped.__table__)), {"key": key}).first()


@lru_cache(maxsize=16)
def _by_key(table: Table) -> Select[Any]:
    (column,) = table.primary_key.columns
    return select(*table.columns).where(column == bindparam("key"))


_PRODUCTS = cast(Table, ProductRow.__table__)
_SITES = cast(Table, SiteRow.__table__)
# A job's product and site in one read (each dispatch needs both): two outer joins from a single
# row, so a missing product or site still returns the other. Built once, run with parameters.
_PRODUCT_AND_SITE = select(*[c.label(f"p_{c.name}") for c in _PRODUCTS.columns],
                           *[c.label(f"s_{c.name}") for c in _SITES.columns]).select_from(
    select(literal(1).label("one")).subquery("one")
    .outerjoin(_PRODUCTS, _PRODUCTS.c.sku == bindparam("sku"))
    .outerjoin(_SITES, _SITES.c.id == bindparam("site")))


@lru_cache(maxsize=4)
def _job_facts(dialect: str) -> CompoundSelect:
    """`_PRODUCT_AND_SITE` (`part` 0) with the product's parts as `SqlParts.usage_and_fitting`
    reads them (`part` 1: fitting, 2: used), in one statement."""
    parts = parts_query.usage_and_fitting_rows(dialect).subquery("parts")
    facts = _PRODUCT_AND_SITE.add_columns(*[type_coerce(null(), parts.c[name].type).label(name)
                                            for name in parts_query.PARTS_READ])
    facts = facts.with_only_columns(literal(0).label("part"), *facts.selected_columns)
    read = select(parts.c.kind + 1, *[null() for _ in _PRODUCT_AND_SITE.selected_columns],
                  *[parts.c[name] for name in parts_query.PARTS_READ])
    return union_all(facts, read).order_by(text("part"), text("rid DESC"), text("sku"))


def job_facts(session: Session, sku: str, site_id: int | None) -> tuple[Product | None, Site | None, PartsRead]:
    """`product_and_site` with what `SqlParts.usage_and_fitting` says of the product, in one
    statement when the session holds neither the product nor the site."""
    if _held_or_flush(session, sku, site_id):
        return (*product_and_site(session, sku, site_id), SqlParts(session).usage_and_fitting(sku))
    rows = session.execute(_job_facts(session.get_bind().dialect.name),
                           {"sku": sku, "site": site_id, "product": sku, "limit": USAGE_LIMIT}).all()
    product, site = _split(rows[0], "p_", _PRODUCTS), _split(rows[0], "s_", _SITES)   # part 0 sorts first
    parts = parts_query.parts_read([SimpleNamespace(**{**r._mapping, "kind": r.part - 1}) for r in rows[1:]])
    return ((mapping.to_domain(Product, product) if product else None),
            (mapping.to_domain(Site, site) if site else None), parts)


def _held_or_flush(session: Session, sku: str, site_id: int | None) -> bool:
    """The session holds the product or the site already (its copy wins, as `by_key` would read it);
    when not, what it has yet to write is flushed, so the one read below sees it."""
    if any(session.identity_map.get(identity_key(mapped, key)) is not None
           for mapped, key in ((ProductRow, sku), (SiteRow, site_id))):
        return True
    if session.new and session.autoflush:
        session.flush()
    return False


def _split(row: Any, prefix: str, table: Table) -> SimpleNamespace | None:
    """One table's columns of a joined row, or None when the outer join found nothing."""
    (key,) = table.primary_key.columns
    if row._mapping[f"{prefix}{key.name}"] is None:
        return None
    return SimpleNamespace(**{c.name: row._mapping[f"{prefix}{c.name}"] for c in table.columns})


def product_and_site(session: Session, sku: str | None, site_id: int | None) -> tuple[Product | None, Site | None]:
    """A ticket's product and site, as `SqlCatalog.product` and `SqlPlaces.site` find them, in one
    statement when neither is already held by the session."""
    if not sku or not site_id or _held_or_flush(session, sku, site_id):
        product = by_key(session, ProductRow, sku) if sku else None
        site = by_key(session, SiteRow, site_id) if site_id else None
    else:
        row = session.execute(_PRODUCT_AND_SITE, {"sku": sku, "site": site_id}).one()
        product, site = _split(row, "p_", _PRODUCTS), _split(row, "s_", _SITES)
    return (mapping.product(product) if product else None), (mapping.site(site) if site else None)


class SqlPeople:
    def __init__(self, session: Session) -> None:
        self.s = session

    def customer_by_phone(self, phone: str) -> Customer | None:
        row = self.s.scalars(select(CustomerRow).where(CustomerRow.phone_is(phone))).first()
        return mapping.customer(row) if row else None

    def customer(self, customer_id: int) -> Customer | None:
        row = self.s.get(CustomerRow, customer_id)
        return mapping.customer(row) if row else None

    def add_customer(self, customer: Customer) -> Customer:
        """The customer with this phone: added now, or the one another request added a moment ago."""
        found = self.customer_by_phone(customer.phone)   # perhaps under an older key's hash
        if found is not None:
            return found
        values = {"phone": customer.phone, "phone_hash": sealing.current().lookup(customer.phone),
                  "name": customer.name, "created_at": datetime.now(timezone.utc)}
        insert_ignore(self.s, CustomerRow, values, ["phone_hash"])
        found = self.customer_by_phone(customer.phone)
        assert found is not None  # inserted here or committed by the request that won
        return found

    def technician(self, tech_id: str) -> Technician | None:
        row = self.s.get(TechnicianRow, tech_id)
        return mapping.technician(row) if row else None

    def technicians(self, skill: str = "") -> list[Technician]:
        """All technicians, or only those with `skill` (filtered in SQL: dispatch reads no one it cannot use)."""
        stmt = select(TechnicianRow).order_by(TechnicianRow.id)
        if skill:
            stmt = stmt.where(TechnicianRow.active.is_(True), TechnicianRow.on_duty.is_(True), _has_skill(self.s, skill))
        return [mapping.technician(r) for r in self.s.scalars(stmt)]

    def find_technician(self, name_or_id: str) -> Technician | None:
        ref = name_or_id.strip()
        row = self.s.get(TechnicianRow, ref) or self.s.get(TechnicianRow, ref.upper()) or self.s.scalars(
            select(TechnicianRow).where(TechnicianRow.name.in_([ref, ref.removesuffix("师傅")]))).first()
        return mapping.technician(row) if row else None

    def save_technician(self, tech: Technician) -> None:
        row = self.s.get(TechnicianRow, tech.id) or TechnicianRow(id=tech.id)
        mapping.fill(row, tech)
        self.s.add(row)
        self.s.flush()

    def mark_offered(self, tech_id: str, now: datetime) -> None:
        dispatch_query.mark_offered(self.s, tech_id, now)

    def candidates(self, job: Job, neighbours: Mapping[str, tuple[str, ...]], weights: Weights,
                   now: datetime | None, limit: int) -> list[Candidate]:
        return dispatch_query.candidates(self.s, job, neighbours, weights, now, limit)

    def exclusions(self, job: Job) -> Exclusions:
        return dispatch_query.exclusions(self.s, job)

    def refresh_roster(self, records: dict[str, Record]) -> None:
        dispatch_query.recount_loads(self.s)
        dispatch_query.store_records(self.s, {k: (r.first_fix, r.rating) for k, r in records.items()})

    def last_offered(self) -> dict[str, datetime]:
        dispatch_query.write_offered_mark(self.s)
        stmt = select(TechnicianRow.id, TechnicianRow.last_offered_at).where(
            TechnicianRow.last_offered_at.is_not(None))
        return {tid: at for tid, at in self.s.execute(stmt) if at}

    def assets(self, customer_id: int) -> list[Asset]:
        stmt = select(AssetRow).where(AssetRow.customer_id == customer_id).order_by(AssetRow.id)
        return [mapping.to_domain(Asset, r) for r in self.s.scalars(stmt)]

    def asset_by_serial(self, serial: str) -> Asset | None:
        row = self.s.scalars(select(AssetRow).where(AssetRow.serial == serial)).first()
        return mapping.to_domain(Asset, row) if row else None

    def customers_at(self, community: str, building: str, room: str) -> list[Customer]:
        """Customers with a purchase installed at this address (for verifying who is who)."""
        # Building and room are sealed and the unit is not given: the community's homes are opened here.
        homes = self.s.scalars(select(SiteRow).where(SiteRow.community == community))
        ids = [s.id for s in homes if s.building == building and s.room == room]
        stmt = (select(CustomerRow).join(AssetRow, AssetRow.customer_id == CustomerRow.id)
                .where(AssetRow.site_id.in_(ids)).distinct())
        return [mapping.customer(r) for r in self.s.scalars(stmt)]

    def staff(self, staff_id: str) -> Staff | None:
        row = self.s.get(StaffRow, staff_id)
        return mapping.staff(row) if row else None

    def staff_with_role(self, role: str) -> list[Staff]:
        stmt = select(StaffRow).where(StaffRow.role == str(role), StaffRow.active.is_(True)).order_by(StaffRow.id)
        return [mapping.staff(r) for r in self.s.scalars(stmt)]


def _has_skill(session: Session, skill: str) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return text("CAST(technicians.skills AS jsonb) ? :skill").bindparams(skill=skill)  # type: ignore[return-value]
    return text("EXISTS (SELECT 1 FROM json_each(technicians.skills) WHERE json_each.value = :skill)"
                ).bindparams(skill=skill)  # type: ignore[return-value]


class SqlPlaces:
    def __init__(self, session: Session) -> None:
        self.s = session

    def communities(self) -> list[Community]:
        rows = self.s.scalars(select(CommunityRow).order_by(CommunityRow.name))
        return [Community(r.name, r.region, r.address) for r in rows]

    def site(self, site_id: int) -> Site | None:
        row = by_key(self.s, SiteRow, site_id)
        return mapping.site(row) if row else None

    def product_and_site(self, sku: str | None, site_id: int | None) -> tuple[Product | None, Site | None]:
        return product_and_site(self.s, sku, site_id)

    def job_facts(self, sku: str, site_id: int | None) -> tuple[Product | None, Site | None, PartsRead]:
        return job_facts(self.s, sku, site_id)

    def site_for(self, site: Site) -> Site:
        key = dict(community=site.community, building=site.building, unit=site.unit, room=site.room)
        row = self.s.scalars(select(SiteRow).where(SiteRow.place_is(**key))).first()
        if row is None:
            # No conflict target: a database migrated on SQLite still has its old UNIQUE over the
            # four fields beside the place hash, and either may be the one a racing insert meets.
            insert_ignore(self.s, SiteRow, {"region": site.region, "place_hash": place_lookup(**key), **key})
            row = self.s.scalars(select(SiteRow).where(SiteRow.place_is(**key))).one()
        return mapping.site(row)


class SqlCatalog:
    def __init__(self, session: Session) -> None:
        self.s = session

    def products(self) -> list[Product]:
        return [mapping.product(r) for r in self.s.scalars(select(ProductRow).order_by(ProductRow.sku))]

    def product(self, sku: str) -> Product | None:
        row = by_key(self.s, ProductRow, sku)
        return mapping.product(row) if row else None

    def names(self, skus: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        rows = self.s.execute(select(ProductRow.sku, ProductRow.name).where(ProductRow.sku.in_(wanted)))
        return {sku: name for sku, name in rows}
