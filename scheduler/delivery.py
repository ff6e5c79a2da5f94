"""Outbox delivery: at least once, per notice key, with backoff, holds and a dead letter."""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.charts import CHART, ChartFigures
from domain.model import Role
from domain.rules import Rules
from domain.notices import Notice
from scheduler.attachments import Attachment, DocumentConfig, Unavailable, prepare
from scheduler.outbound import DeliveryError, Outgoing, Sender
from scheduler.ports import Host
from scheduler.render.formats import Company
from scheduler.render.template import TemplateError
from scheduler.stale import moved_on
from storage.outbox import Due
from storage.tables import OutboxRow
from storage.uow import SqlUnitOfWork

log = logging.getLogger("baoxiu.outbox")

MAX_ATTEMPTS = 8                      # defaults of [outbox] max_attempts / backoff_seconds
BASE_BACKOFF = timedelta(seconds=30)
NO_CHANNEL = "no channel for this person yet"
PACED = "flow-controlled, waiting"
UNSURE = "unsure"   # written to a platform without idempotency, answer lost: may have arrived
MAYBE_SENT = "answer lost after sending; may have been delivered"


@dataclass(frozen=True)
class Retry:
    max_attempts: int = MAX_ATTEMPTS
    backoff: timedelta = BASE_BACKOFF


LEASE = timedelta(minutes=2)   # a worker that dies mid-send leaves its rows to be taken again after this


@dataclass(frozen=True)
class Claimed:
    id: int
    message: Outgoing | None     # None: nowhere to send it yet
    sender: Sender | None
    render: Callable[[], Attachment] | None = None   # the file to make before sending, away from the database
    error: DeliveryError | None = None               # known before sending: the file cannot be made


def deliver_due(desk: Host, senders: Mapping[str, Sender], now: datetime,
                fallback: str | None = None, limit: int = 200) -> int:
    """Claim in one short transaction, send with no database lock held, record in another.

    Platform calls can take seconds; holding the write lock meanwhile would stall callbacks."""
    with desk.uow(readonly=True) as uow:   # a wake with nothing due costs one read, no write lock
        if not uow.outbox.any_due(now):
            return 0
    docs = document_config(desk)
    with desk.uow() as uow:
        rows = uow.outbox.claim(now, limit)
        taken = _take_all(uow, rows, senders, now, fallback, (desk.rules, docs))
        uow.commit()
    return _send_all(desk, taken, now)


def deliver_handed(desk: Host, senders: Mapping[str, Sender], rows: list[Due], now: datetime) -> int:
    """Replies a callback of this process wrote already taken (storage.handoff): sent and recorded
    as claimed rows are, with no claim. Replies carry their channel and address, no file."""
    return _send_all(desk, [_reply(row, senders) for row in rows], now)


def _reply(row: Due, senders: Mapping[str, Sender]) -> Claimed:
    sender = senders.get(row.channel)
    return Claimed(row.id, _outgoing(row, row.address) if sender else None, sender)


def _send_all(desk: Host, taken: list[Claimed], now: datetime) -> int:
    """Sent with no database lock held, the outcomes recorded in one transaction."""
    if not taken:
        return 0
    outcomes = [(c, _send(c)) for c in taken]
    cfg = desk.settings.outbox
    retry = Retry(cfg.max_attempts, timedelta(seconds=cfg.backoff_seconds))
    with desk.uow() as uow:
        # What went out, the usual case, is one statement; only the failures are loaded one by one.
        sent = uow.outbox.mark_sent([c.id for c, error in outcomes if error is None], now)
        for claimed, failure in outcomes:
            if failure is None:
                continue
            row = uow.outbox.get(claimed.id)
            if row is None or row.status != "sending":
                continue
            _record(uow, row, now, failure, retry)
        uow.commit()
    return sent


def document_config(desk: Host) -> DocumentConfig:
    docs = desk.settings.documents
    base = desk.settings.base_dir
    return DocumentConfig(Company(docs.company, base / docs.logo if docs.logo else None),
                          base / docs.confirmation_template if docs.confirmation_template else None)


def _take_all(uow: SqlUnitOfWork, rows: list[Due], senders: Mapping[str, Sender], now: datetime,
              fallback: str | None, files: tuple[Rules, DocumentConfig]) -> list[Claimed]:
    """Each claimed row's decision, written for the whole batch in a statement per kind (being
    sent until the lease runs out, or dropped), not an update per row. An offer's timeout asks
    whether its offer went out, in this batch too: what is decided so far is written first."""
    taken, sending, dropped = list[Claimed](), list[int](), list[int]()
    for row in rows:
        if row.kind == "expired" and (sending or dropped):
            uow.outbox.take(sending, dropped, now + LEASE)
            sending, dropped = [], []
        claimed = _take(uow, row, senders, now, fallback, files)
        if claimed is None:
            dropped.append(row.id)
        else:
            sending.append(row.id)
            taken.append(claimed)
    uow.outbox.take(sending, dropped, now + LEASE)
    return taken


def _take(uow: SqlUnitOfWork, row: Due, senders: Mapping[str, Sender], now: datetime,
          fallback: str | None, files: tuple[Rules, DocumentConfig]) -> Claimed | None:
    """What to send for a claimed row; None: it is dropped (an offer nobody can take any more, or
    its timeout, is not sent late)."""
    if moved_on(uow, row):
        return None
    target = _route(uow, row, senders, fallback)
    if target is None:
        return Claimed(row.id, None, None)
    sender, address = target
    message = _outgoing(row, address)
    if not row.attachment:
        return Claimed(row.id, message, sender)
    if row.attachment.get("render") == CHART:
        message = replace(message, chart=ChartFigures.from_dict(row.attachment["figures"]))
    try:
        return Claimed(row.id, message, sender, prepare(uow, *files, row.attachment))
    except (Unavailable, TemplateError, KeyError, ValueError) as e:
        log.warning("notice %s: its attachment cannot be made (%s)", row.id, e)
        return Claimed(row.id, message, sender, error=DeliveryError(f"attachment: {e}", retry=False))


def _outgoing(row: Due, address: str) -> Outgoing:
    return Outgoing(address, row.text, tuple(row.buttons), row.key, row.kind, row.ticket_number)


def _send(claimed: Claimed) -> DeliveryError | None:
    if claimed.sender is None or claimed.message is None:
        # Not a failed send: nothing was tried. It waits for the person to write (release_held),
        # spending none of its attempts, instead of running into the dead letters on a timer.
        return DeliveryError(NO_CHANNEL, hold=True)
    if claimed.error is not None:
        return claimed.error
    message = claimed.message
    if claimed.render is not None:
        try:
            message = replace(message, attachment=claimed.render())
        except Exception as e:  # a rendering bug must not stop the run; the row goes to the dead letters
            log.exception("notice %s: rendering its attachment failed", claimed.id)
            return DeliveryError(f"attachment: {type(e).__name__}", retry=False)
    try:
        claimed.sender.send(message)
    except DeliveryError as e:
        return e
    except Exception as e:
        # A fault of ours in one notice must not sink the pass: the others it took would sit as
        # "sending" until their lease ran out. Whether this one went out is unknown; it is not
        # sent again on its own (an operator sees it in `outbox list` and may retry it).
        log.exception("notice %s: sending failed unexpectedly", claimed.id)
        return DeliveryError(f"{type(e).__name__}", unsure=True)
    return None


def _record(uow: SqlUnitOfWork, row: OutboxRow, now: datetime, error: DeliveryError,
            retry: Retry = Retry()) -> None:
    if error.retry_after is not None:
        # Pacing spends no attempt, but `outbox list` should still say why the row waits.
        row.status, row.due_at = "pending", now + error.retry_after
        row.last_error = f"{PACED}: {error}"[:300]
    elif error.unsure:
        row.status, row.attempts, row.last_error = UNSURE, row.attempts + 1, f"{MAYBE_SENT}: {error}"[:300]
        log.warning("notice %s may have been delivered (%s); not sent again", row.id, error)
    elif error.hold:
        _hold(uow, row, now, str(error))
    else:
        _failed(row, now, str(error), retry, dead=not error.retry)


def _route(uow: SqlUnitOfWork, row: Due, senders: Mapping[str, Sender],
           fallback: str | None) -> tuple[Sender, str] | None:
    if row.channel:
        sender = senders.get(row.channel)
        return (sender, row.address) if sender else None
    seen = uow.identities.latest(row.role, row.person_id, senders.keys())
    if seen is not None and seen.channel in senders:
        # The console's stored ids are keyed hashes; its people are addressed as the operator types them.
        if seen.channel == "console":
            return senders["console"], uow.outbox.console_address(row.role, row.person_id)
        return senders[seen.channel], seen.external_id
    if fallback and fallback in senders:
        return senders[fallback], uow.outbox.console_address(row.role, row.person_id)
    return None


def _hold(uow: SqlUnitOfWork, row: OutboxRow, now: datetime, error: str) -> None:
    row.status, row.last_error = "held", error[:300]
    if row.role != Role.OWNER or not row.ticket_number:
        return
    text = (f"【通知未送达】工单 {row.ticket_number} 的业主暂时无法接收消息（{error[:60]}），"
            f"消息会在业主下次留言时补发，如需及时告知请电话联系。")
    for person in uow.people.staff_with_role(Role.DISPATCHER):
        uow.outbox.add(Notice(Role.DISPATCHER, person.id, "held", text,
                              f"{row.ticket_number}:held-{person.id}:{row.person_id}", row.ticket_number), now)


def _failed(row: OutboxRow, now: datetime, error: str, retry: Retry, dead: bool = False) -> None:
    row.status = "pending"
    row.attempts += 1
    row.last_error = error[:300]
    if dead or row.attempts >= retry.max_attempts:
        row.status = "dead"
        log.warning("notice %s gave up after %d attempts: %s", row.id, row.attempts, row.last_error)
        return
    row.due_at = now + retry.backoff * (2 ** (row.attempts - 1))
