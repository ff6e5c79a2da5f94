"""The unit of work: one transaction for a ticket change, its audit rows and its outbox notices."""
from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from storage.parts import SqlParts
from storage.repositories import SqlCatalog, SqlIdentities, SqlOutbox, SqlPeople, SqlPlaces, SqlTickets


class SqlUnitOfWork:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._factory()
        self.tickets = SqlTickets(self.session)
        self.people = SqlPeople(self.session)
        self.places = SqlPlaces(self.session)
        self.catalog = SqlCatalog(self.session)
        self.outbox = SqlOutbox(self.session)
        self.identities = SqlIdentities(self.session)
        self.parts = SqlParts(self.session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # Nothing is kept unless the use case committed; an error rolls everything back.
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
