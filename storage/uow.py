"""The unit of work: one transaction for a ticket change, its audit rows and its outbox notices.

The transaction lives on a connection the unit of work holds; its Session, made only when first
needed, is bound to that connection and joins the transaction when it is first used. A chat
message's own statements (its dedup row, who sent it, its reply) run on the connection
(storage/prepared.py) and most messages never use the Session's ORM at all: making a Session and
its transaction machinery (begin, commit, close) cost several times the statements themselves,
and are paid only by work that loads or writes mapped rows.
"""
from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from domain.ports import UnitOfWork
from storage.identities import SqlIdentities
from storage.outbox import SqlOutbox
from storage.parts import SqlParts
from storage.people import SqlCatalog, SqlPeople, SqlPlaces
from storage.tickets import SqlTickets


class _SessionWhenUsed:
    """The unit of work's Session, made when something first asks more of it than its connection
    (`bind`, `get_bind()`) or its `info`: all that a message's prepared statements and memos use.
    Making and closing a Session (its identity map, its event dispatch) cost more than a message's
    statements, and most messages never load or write a mapped row. Once made, everything is the
    Session's, and the two share one `info`."""

    def __init__(self, make: Callable[[], Session], connection: Connection) -> None:
        self.bind = connection
        self.info: dict[Any, Any] = {}
        self._make = make
        self._made: Session | None = None

    def __getattr__(self, name: str) -> Any:   # only for what is not found on this object
        made = self._made
        if made is None:
            made = self._made = self._make()
            made.info = self.info   # a memoized property: one dict for both
        return getattr(made, name)

    def get_bind(self, *args: Any, **kw: Any) -> Connection:
        return self.bind   # what the Session answers too: it is bound to this connection alone

    def in_transaction(self) -> bool:
        return self._made is not None and self._made.in_transaction()

    def close(self) -> None:
        if self._made is not None:
            self._made.close()


class SqlUnitOfWork:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._held = False
        self._point: SessionTransaction | None = None
        self._redo: Callable[[], None] | None = None

    def __enter__(self) -> SqlUnitOfWork:
        engine: Engine = self._factory.kw["bind"]
        self.connection: Connection = engine.connect()
        # "control_fully": joining a transaction begun on the connection, the Session commits and
        # rolls it back as if it had begun it.
        self.session = cast(Session, _SessionWhenUsed(
            lambda: self._factory(bind=self.connection, join_transaction_mode="control_fully"), self.connection))
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
        try:
            self.session.close()
        finally:
            self.connection.close()   # rolls back what is still open, and returns it to the pool

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
            self._commit_all()
            return
        if self._point is not None:
            self._point.commit()
        self._point = self.session.begin_nested()

    def rollback(self) -> None:
        """Back to the last commit (or checkpoint)."""
        if not self._held:
            self._rollback_all()
            return
        if self._point is not None:
            self._point.rollback()
            self._point = self.session.begin_nested()
            return
        self._rollback_all()
        self.identities = SqlIdentities(self.session)   # what it remembers is of the undone transaction
        if self._redo is not None:
            self._redo()

    def commit_all(self) -> None:
        """Ends checkpoint mode: everything since `hold_commits` is committed at once."""
        self._held, self._point, self._redo = False, None, None
        self._commit_all()

    def _commit_all(self) -> None:
        # The Session's transaction (with its savepoints) when it has one, which commits the
        # connection's; else the one begun on the connection alone.
        if self.session.in_transaction():
            self.session.commit()
        if self.connection.in_transaction():
            self.connection.commit()

    def _rollback_all(self) -> None:
        if self.session.in_transaction():
            self.session.rollback()
        if self.connection.in_transaction():
            self.connection.rollback()


if TYPE_CHECKING:
    # mypy proves here that the SQL unit of work is what the use cases ask for (domain.ports).
    _conforms: type[UnitOfWork] = SqlUnitOfWork
