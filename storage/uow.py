"""The unit of work: one transaction for a ticket change, its audit rows and its outbox notices."""
from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from domain.ports import UnitOfWork
from storage.identities import SqlIdentities
from storage.outbox import SqlOutbox
from storage.parts import SqlParts
from storage.people import SqlCatalog, SqlPeople, SqlPlaces
from storage.tickets import SqlTickets


class SqlUnitOfWork:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._point: SessionTransaction | None = None

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
        self._point = None
        self.session.rollback()
        self.session.close()

    def hold_commits(self) -> None:
        """From here on, commit() and rollback() act on checkpoints (savepoints) of ONE transaction.

        A chat message is handled this way: the dedup row, the handler's changes and the replies
        become durable together in `commit_all`, or not at all, so a failed handling is never
        mistaken for a handled one when the platform retries.
        """
        self._point = self.session.begin_nested()

    def commit(self) -> None:
        if self._point is None:
            self.session.commit()
            return
        self._point.commit()
        self._point = self.session.begin_nested()

    def rollback(self) -> None:
        """Back to the last commit (or checkpoint)."""
        if self._point is None:
            self.session.rollback()
            return
        self._point.rollback()
        self._point = self.session.begin_nested()

    def commit_all(self) -> None:
        """Ends checkpoint mode: everything since `hold_commits` is committed at once."""
        self._point = None
        self.session.commit()  # SQLAlchemy 2: commits the outer transaction, releasing savepoints


if TYPE_CHECKING:
    # mypy proves here that the SQL unit of work is what the use cases ask for (domain.ports).
    _conforms: type[UnitOfWork] = SqlUnitOfWork
