"""The unit of work: one transaction for a ticket change, its audit rows and its outbox notices."""
from __future__ import annotations

from collections.abc import Callable
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
        self._held = False
        self._point: SessionTransaction | None = None
        self._redo: Callable[[], None] | None = None

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
        self._held, self._point, self._redo = False, None, None
        self.session.rollback()
        self.session.close()

    def hold_commits(self, redo: Callable[[], None] | None = None) -> None:
        """From here on, commit() and rollback() act on checkpoints of ONE transaction.

        A chat message is handled this way: the dedup row, the handler's changes and the replies
        become durable together in `commit_all`, or not at all, so a failed handling is never
        mistaken for a handled one when the platform retries.

        A checkpoint is a savepoint, taken when the handler commits. Before its first commit a
        rollback undoes the whole transaction and `redo` writes again what was written before this
        call: most messages never roll back, and a savepoint taken here for each of them cost more
        (two statements and SQLAlchemy's nested transaction) than the rare redo does.
        """
        self._held, self._point, self._redo = True, None, redo

    def commit(self) -> None:
        if not self._held:
            self.session.commit()
            return
        if self._point is not None:
            self._point.commit()
        self._point = self.session.begin_nested()

    def rollback(self) -> None:
        """Back to the last commit (or checkpoint)."""
        if not self._held:
            self.session.rollback()
            return
        if self._point is not None:
            self._point.rollback()
            self._point = self.session.begin_nested()
            return
        self.session.rollback()
        self.identities = SqlIdentities(self.session)   # what it remembers is of the undone transaction
        if self._redo is not None:
            self._redo()

    def commit_all(self) -> None:
        """Ends checkpoint mode: everything since `hold_commits` is committed at once."""
        self._held, self._point, self._redo = False, None, None
        self.session.commit()  # SQLAlchemy 2: commits the outer transaction, releasing savepoints


if TYPE_CHECKING:
    # mypy proves here that the SQL unit of work is what the use cases ask for (domain.ports).
    _conforms: type[UnitOfWork] = SqlUnitOfWork
