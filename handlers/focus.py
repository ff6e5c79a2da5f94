"""What the conversation remembers about a person between messages: the ticket they last saw or acted
on (so "这单" and "上一单" mean something), and a question the bot asked them and waits on.

Kept in the key-value store by role and person (not by channel: a technician on WeCom and DingTalk
is one person), with a TTL so an old question never answers a new message.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from handlers.base import Ctx
from handlers.commands import number_pattern
from storage import sealing
from storage.kv import Keys
from storage.tables import OutboxRow
from storage.uow import SqlUnitOfWork

KEPT = timedelta(days=2)

@dataclass
class Pending:
    """A question waiting for its answer: the message it was about, and what each button means."""

    text: str
    intent: str
    kind: str                                  # "confirm", "choose" (a slot), "guess" (the intent)
    options: dict[str, str] = field(default_factory=dict)   # button -> value
    slot: str = ""                             # the slot a "choose" fills
    fill: dict[str, str] = field(default_factory=dict)      # slots already chosen
    asked_at: str = ""

@dataclass
class Focus:
    last: str | None = None
    previous: str | None = None
    at: str = ""
    pending: Pending | None = None

_NONE = Focus()

def _key(ctx: Ctx) -> str:
    return Keys.focus(ctx.actor.role.value, ctx.actor.id or ctx.inbound.sender)

def load(ctx: Ctx) -> Focus:
    data = sealing.opened_json(ctx.desk.store.get(_key(ctx)))
    if not data:
        return Focus()
    pending = data.pop("pending", None)
    return Focus(**data, pending=Pending(**pending) if pending else None)

def save(ctx: Ctx, focus: Focus) -> None:
    if focus == _NONE:   # nothing looked at, nothing asked (a new owner's report): nothing to keep
        ctx.desk.store.delete(_key(ctx))
        return
    # sealed: a question waiting for its answer holds the words it was asked about (reasons, phones)
    ctx.desk.store.set(_key(ctx), sealing.sealed_json(asdict(focus)), ttl=KEPT)

def touch(ctx: Ctx, focus: Focus, number: str) -> None:
    if number != focus.last:
        focus.previous, focus.last = focus.last, number
    focus.at = ctx.now.isoformat()

def seen_in(ctx: Ctx, focus: Focus, texts: list[str]) -> None:
    """The first ticket number in what the person was just told is the one they now look at."""
    pattern = number_pattern(ctx.desk.rules.number_prefix)
    for text in texts:
        m = pattern.search(text)
        if m:
            touch(ctx, focus, m.group(0).upper())
            return

def fresh(ctx: Ctx, pending: Pending | None) -> Pending | None:
    if pending is None or not pending.asked_at:
        return None
    asked = datetime.fromisoformat(pending.asked_at)
    return pending if ctx.now - asked <= ctx.desk.dialog_ttl else None

def last_notice(ctx: Ctx, uow: SqlUnitOfWork) -> tuple[str, datetime] | None:
    """The latest ticket the bot sent this person a notice about (a job card, an alert)."""
    row = uow.session.execute(select(OutboxRow.ticket_number, OutboxRow.created_at).where(
        OutboxRow.role == ctx.actor.role.value, OutboxRow.person_id == (ctx.actor.id or ""),
        OutboxRow.ticket_number.is_not(None)).order_by(OutboxRow.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row and row[0] else None

def this_ticket(ctx: Ctx, uow: SqlUnitOfWork, focus: Focus) -> str | None:
    """"这单": the ticket last acted on or the last one a notice was about, whichever came later."""
    notice = last_notice(ctx, uow)
    if notice is None:
        return focus.last
    if focus.last is None or not focus.at:
        return notice[0]
    at = notice[1] if notice[1].tzinfo else notice[1].replace(tzinfo=ctx.now.tzinfo)
    return notice[0] if at > datetime.fromisoformat(focus.at) else focus.last

