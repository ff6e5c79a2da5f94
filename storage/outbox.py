"""The outbox: notices queued in the same transaction as the change they tell of, and the queries
delivery runs over them (claims, holds released when a person writes, addresses, stale offers)."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, CursorResult, Table, and_, bindparam, false, or_, select, update
from sqlalchemy.orm import Session

from domain.model import Role, mask_phones
from domain.notices import Notice
from storage.prepared import Prepared
from storage.tables import CustomerRow, OutboxRow
from storage.upsert import insert_ignore, insert_ignore_returning


ANSWERED = "answered"   # said in the callback's answer (a passive reply); delivery never takes it


class Due(NamedTuple):
    """What delivery reads of a claimed row: a plain tuple, not an ORM entity (a delivery pass
    runs for every reply, and loading entities into the identity map cost more than the query)."""
    id: int
    key: str
    role: str
    person_id: str
    ticket_number: str | None
    kind: str
    channel: str
    address: str
    text: str
    buttons: list[str]
    attachment: dict[str, Any] | None


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.s = session
        self.queued = 0   # rows this unit of work made due for delivery (added or released)

    def add(self, notice: Notice, now: datetime) -> None:
        """Idempotent: a second notice with the same key is dropped. One statement, no row read
        back: a message's replies are the hottest insert there is."""
        if insert_ignore(self.s, OutboxRow, _values(notice, now, "pending", notice.due_at or now), keys=["key"]):
            self.queued += 1

    def add_taken(self, notice: Notice, now: datetime, lease_until: datetime) -> Due | None:
        """A reply this process is about to send itself: written as a claim leaves a row (being
        sent until the lease runs out, then any pass may take it), so no pass has to claim it.
        What delivery needs of it; None when a notice with its key was queued before."""
        values = _values(notice, now, "sending", lease_until)
        row_id = insert_ignore_returning(self.s, OutboxRow, values, keys=["key"], column="id")
        if row_id is None:
            return None
        return Due(row_id, *(values[name] for name in Due._fields[1:]))

    def add_answered(self, notice: Notice, now: datetime) -> None:
        """A reply that goes back in the callback's own answer (a passive reply): kept as what was
        said, never sent by delivery, and read again if the platform retries the callback."""
        insert_ignore(self.s, OutboxRow, {**_values(notice, now, ANSWERED, now), "sent_at": now, "attempts": 1},
                      keys=["key"])

    def answered(self, key: str) -> str | None:
        """The text of a reply given in a callback's answer under `key`; None if it went another way."""
        return _ANSWERED.scalar(self.s, {"key": key[:160]})

    def merge_held(self, role: str, person_id: str, now: datetime, heading: str, max_bytes: int) -> int:
        """Held notices without buttons for one person become one digest (the originals marked
        `merged`, naming it), so a platform that counts messages spends one on them. Notices with
        buttons stay as they are: their buttons are the point. How many were merged."""
        held = self.s.scalars(select(OutboxRow).where(
            OutboxRow.status == "held", OutboxRow.role == role, OutboxRow.person_id == person_id,
            OutboxRow.channel == "").order_by(OutboxRow.id))
        lines, taken = [heading], list[OutboxRow]()
        for row in held:
            line = f"{len(taken) + 1}. {row.text}"
            if row.buttons or len("\n".join([*lines, line]).encode()) > max_bytes:
                continue
            lines.append(line)
            taken.append(row)
        if len(taken) < 2:
            return 0
        key = f"digest:{role}:{person_id}:{taken[0].id}-{taken[-1].id}"
        self.add(Notice(role, person_id, "digest", "\n".join(lines), key, taken[-1].ticket_number), now)
        for row in taken:
            row.status, row.last_error = "merged", f"汇总发送：{key}"[:300]
        return len(taken)

    def withdraw(self, key: str) -> None:
        """A notice queued for later that no longer makes sense (a survey already answered) is not sent."""
        self.s.execute(update(OutboxRow).where(OutboxRow.key == key, OutboxRow.status.in_(("pending", "held")))
                       .values(status="dropped"))

    def claim(self, now: datetime, limit: int) -> list[Due]:
        """Due rows (and rows whose sender's lease ran out), locked while they are marked as taken
        (`take`, in the same transaction)."""
        return [Due(*row) for row in _CLAIM.all(self.s, {"now": now, "limit": limit})]

    def any_due(self, now: datetime) -> bool:
        """Whether a claim would find anything (read on its own, it takes no lock)."""
        return _ANY_DUE.first(self.s, {"now": now}) is not None

    def take(self, sending: list[int], dropped: list[int], lease_until: datetime) -> None:
        """Claimed rows: being sent until the lease runs out (then another pass may take them
        again), or dropped unsent."""
        if sending:
            count, bound = _ids(sending)
            _take(count).rowcount(self.s, {**bound, "until": lease_until})
        if dropped:
            self.s.connection().execute(_DROP, {"ids": dropped})

    def mark_sent(self, ids: list[int], now: datetime) -> int:
        """Rows this worker took and delivered; a row whose lease ran out and was taken again
        meanwhile is no longer "sending" here and is left to its new taker's record."""
        if not ids:
            return 0
        count, bound = _ids(ids)
        return _mark_sent(count).rowcount(self.s, {**bound, "now": now})

    def get(self, row_id: int) -> OutboxRow | None:
        return self.s.get(OutboxRow, row_id)

    def release_held(self, role: str, person_id: str, now: datetime, channel: str = "", address: str = "") -> None:
        """The person wrote again: notices kept for them can go now, and so can replies kept for this
        chat (a reply is addressed by channel and address, not by person)."""
        mine, chat = bool(person_id), bool(channel and address)
        if mine or chat:
            self.queued += _release_held(mine, chat).rowcount(self.s, {
                "b_role": role, "b_person": person_id, "b_channel": channel, "b_address": address, "now": now})

    def console_address(self, role: str, person_id: str) -> str:
        """Owners are known in the console by phone (`owner:138…`), staff by id."""
        if role == Role.OWNER and person_id.isdigit():
            customer = self.s.get(CustomerRow, int(person_id))
            if customer is not None:
                return f"owner:{customer.phone}"
        return f"{role}:{person_id}"

    def listing(self, status: str, limit: int) -> list[OutboxRow]:
        """Newest first; `all` for every status (what `baoxiu outbox list` prints)."""
        stmt = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
        if status != "all":
            stmt = stmt.where(OutboxRow.status == status)
        return list(self.s.scalars(stmt))

    def retry(self, ids: tuple[int, ...], now: datetime) -> int:
        """Dead or held notices with these ids (every dead one when none are given) due again, with
        their attempts reset; the same key keeps a notice already delivered from going out twice."""
        stmt = update(OutboxRow).where(OutboxRow.status.in_(["dead", "held"]))
        stmt = stmt.where(OutboxRow.id.in_(ids)) if ids else stmt.where(OutboxRow.status == "dead")
        result: CursorResult[Any] = self.s.execute(stmt.values(status="pending", attempts=0, due_at=now))  # type: ignore[assignment]
        return result.rowcount

    def offer_went_out(self, ticket_number: str, person_id: str) -> bool:
        """The offer card for this person went out, or is going out in the batch being sent ("sending")."""
        stmt = select(OutboxRow.id).where(OutboxRow.ticket_number == ticket_number,
                                          OutboxRow.person_id == person_id, OutboxRow.kind == "offer",
                                          OutboxRow.status.in_(("sent", "sending")))
        return self.s.scalars(stmt.limit(1)).first() is not None


def _values(notice: Notice, now: datetime, status: str, due_at: datetime) -> dict[str, Any]:
    return dict(key=notice.key[:160], role=str(notice.role), person_id=notice.person_id, channel=notice.channel,
                address=notice.address, ticket_number=notice.ticket_number, kind=notice.kind,
                text=mask_phones(notice.text), buttons=list(notice.buttons), attachment=notice.attachment,
                due_at=due_at, created_at=now, status=status, attempts=0)


# Statements every message or delivery pass runs (storage/prepared.py).
_OUTBOX = cast(Table, OutboxRow.__table__)
_O = _OUTBOX.c
FEW = 3   # rows a delivery pass carries under load: up to this many, each id is bound by itself
_DROP = update(_OUTBOX).where(_O.id.in_(bindparam("ids", expanding=True))).values(status="dropped")
_DUE = and_(_O.status.in_(("pending", "sending")), _O.due_at <= bindparam("now"))
_ANY_DUE = Prepared(select(_O.id).where(_DUE).limit(1))
_ANSWERED = Prepared(select(_O.text).where(_O.key == bindparam("key"), _O.status == ANSWERED))
_CLAIM = Prepared(select(*(_O[name] for name in Due._fields)).where(_DUE)
                  # A file queued with a reply goes after it: the words first, then the picture they speak of.
                  .order_by(_O.due_at, _O.attachment.is_not(None), _O.id).limit(bindparam("limit"))
                  .with_for_update(skip_locked=True))


def _id_in(count: int) -> ColumnElement[bool]:
    """A list of ids is an expanding IN, rendered anew on every run by SQLAlchemy; a pass's few ids
    are bound one by one instead, a statement for each count (`count` above FEW: the expanding one),
    and run on the cursor."""
    if count > FEW:
        return _O.id.in_(bindparam("ids", expanding=True))
    return _O.id.in_([bindparam(f"id{i}") for i in range(count)])


def _ids(ids: list[int]) -> tuple[int, dict[str, Any]]:
    """The count whose statement takes these ids (FEW + 1: the expanding one), and their values."""
    if len(ids) > FEW:
        return FEW + 1, {"ids": ids}
    return len(ids), {f"id{i}": row_id for i, row_id in enumerate(ids)}


@lru_cache(maxsize=FEW + 1)
def _take(count: int) -> Prepared:
    return Prepared(update(_OUTBOX).where(_id_in(count)).values(status="sending", due_at=bindparam("until")))


@lru_cache(maxsize=FEW + 1)
def _mark_sent(count: int) -> Prepared:
    return Prepared(update(_OUTBOX).where(_id_in(count), _O.status == "sending")
                    .values(status="sent", sent_at=bindparam("now"), attempts=_O.attempts + 1))


@lru_cache(maxsize=4)
def _release_held(mine: bool, chat: bool) -> Prepared:
    # (bound names must differ from the columns an UPDATE sets)
    person = and_(_O.role == bindparam("b_role"), _O.person_id == bindparam("b_person")) if mine else false()
    here = and_(_O.channel == bindparam("b_channel"), _O.address == bindparam("b_address")) if chat else false()
    return Prepared(update(_OUTBOX).where(_O.status == "held", or_(person, here))
                    .values(status="pending", due_at=bindparam("now")))
