"""The catalog and the communities, read from the database once per change and shared by every message.

Each message reads the stamp (storage.catalog_stamp, one primary-key row) in its own transaction;
the indexed copies are rebuilt only when the stamp differs from the one they were built at, so an
import seen by one worker is seen by all of them on their next message. Copies are kept per
database (its connection pool), so tests and tools with several databases never share one.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import cast
from weakref import WeakKeyDictionary

from handlers.catalog_index import IndexedCatalog
from handlers.extract.address import indexed_communities
from handlers.extract.products import CatalogItem
from handlers.product_ranking import indexed_catalog
from storage import catalog_stamp
from storage.prepared import transaction_of
from storage.uow import SqlUnitOfWork


@dataclass(frozen=True)
class Snapshot:
    stamp: int
    products: IndexedCatalog[CatalogItem]
    communities: IndexedCatalog[str]
    community_names: tuple[str, ...]     # in the order the desk lists them (examples in a question)


_snapshots: WeakKeyDictionary[object, Snapshot] = WeakKeyDictionary()
_building = threading.Lock()


def snapshot(uow: SqlUnitOfWork) -> Snapshot:
    """The catalog as of this unit of work's transaction, built at most once per change; the stamp
    is read once per transaction (a message asks for the catalog and the communities several times)."""
    memo = uow.session.info.get(catalog_stamp.MEMO)
    if memo is not None and memo[0] is not None and memo[0] is transaction_of(uow.session):
        return cast(Snapshot, memo[1])
    held = _current(uow)
    uow.session.info[catalog_stamp.MEMO] = (transaction_of(uow.session), held)
    return held


def _current(uow: SqlUnitOfWork) -> Snapshot:
    pool = uow.session.get_bind().engine.pool
    stamp = catalog_stamp.read(uow.session)
    held = _snapshots.get(pool)
    if held is not None and held.stamp == stamp:
        return held
    with _building:  # one thread builds; the others waiting then find it built
        held = _snapshots.get(pool)
        if held is None or held.stamp != stamp:
            held = _snapshots[pool] = _build(uow, stamp)
    return held


def community_names(uow: SqlUnitOfWork) -> tuple[str, ...]:
    """The communities' names from the shared copy: a dialog asks this on most messages."""
    return snapshot(uow).community_names


def _build(uow: SqlUnitOfWork, stamp: int) -> Snapshot:
    items = [CatalogItem(p.sku, p.name, p.category, p.aliases) for p in uow.catalog.products()]
    names = tuple(c.name for c in uow.places.communities())
    return Snapshot(stamp, indexed_catalog(items), indexed_communities(names), names)
