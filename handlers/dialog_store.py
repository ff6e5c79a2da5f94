"""Where a report's draft is kept between messages, and the steps it can be in.

The draft lives in the key-value store under the chat's dialog key. It is kept a while past the
dialog's time so that the next message can be told the draft timed out (TIMED_OUT), and after the
ticket is made only its number is kept (DONE) so what follows about it can find it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum

from handlers.base import Ctx
from handlers.ports import Desk
from storage import sealing
from storage.kv import Keys


DONE_FOR = timedelta(minutes=30)      # how long "取消" / a photo / more detail means the ticket just made


class Step(StrEnum):
    ASKING = "asking"
    CHOOSING = "choosing"
    CONFIRMING = "confirming"
    SAME_PROBLEM = "same_problem"     # asked whether an open ticket on the same product is this problem
    DONE = "done"
    TIMED_OUT = "timed_out"


@dataclass
class Draft:
    type: str
    priority: str
    facts: dict[str, str] = field(default_factory=dict)
    asking: str | None = None
    step: str = Step.ASKING
    for_desk: bool = False
    touched: str = ""                 # ISO time of the last message, for TIMED_OUT
    photos: list[str] = field(default_factory=list)
    ticket: str = ""                  # DONE: the ticket made

    @property
    def confirming(self) -> bool:
        return self.step == Step.CONFIRMING


def _raw(ctx: Ctx) -> Draft | None:
    return stored(ctx.desk, ctx.inbound.channel, ctx.inbound.sender)


def stored(desk: Desk, channel: str, sender: str) -> Draft | None:
    """The chat's draft as kept, whatever its step or age; None when there is none to read."""
    raw = desk.store.get(Keys.dialog(channel, sender))
    if not raw:
        return None
    try:
        data = json.loads(sealing.current().open(raw))
        known = {f.name for f in fields(Draft)}
        return Draft(**{k: v for k, v in data.items() if k in known})
    except (ValueError, TypeError):  # a draft from an older release: start afresh rather than fail
        return None


def _age(ctx: Ctx, draft: Draft) -> timedelta:
    return ctx.now - datetime.fromisoformat(draft.touched) if draft.touched else timedelta(0)


def load(ctx: Ctx) -> Draft | None:
    """The open form (ASKING, CHOOSING, CONFIRMING), or None."""
    draft = _raw(ctx)
    if draft is None or draft.step == Step.DONE or _age(ctx, draft) > ctx.desk.dialog_ttl:
        return None
    return draft


def just_made(ctx: Ctx) -> str | None:
    """The ticket this chat made a moment ago (the DONE step), or None."""
    draft = _raw(ctx)
    if draft is None or draft.step != Step.DONE or _age(ctx, draft) > DONE_FOR:
        return None
    return draft.ticket or None


def timed_out(ctx: Ctx) -> bool:
    """A form left open longer than the dialog's time (TIMED_OUT): the next message is told so once."""
    draft = _raw(ctx)
    if draft is None or draft.step == Step.DONE or _age(ctx, draft) <= ctx.desk.dialog_ttl:
        return False
    save(ctx, None)
    return True


def save(ctx: Ctx, draft: Draft | None) -> None:
    if draft is None:
        ctx.desk.store.delete(Keys.dialog(ctx.inbound.channel, ctx.inbound.sender))
        return
    keep(ctx.desk, ctx.inbound.channel, ctx.inbound.sender, draft, ctx.now)


def keep(desk: Desk, channel: str, sender: str, draft: Draft, now: datetime) -> None:
    """Stores the draft as touched `now`."""
    draft.touched = now.isoformat()
    # Kept past the dialog's time so the next message can be told the draft timed out.
    ttl = desk.dialog_ttl + max(desk.dialog_ttl, DONE_FOR)
    # The draft holds the phone, name and address being collected: sealed like the database's.
    # vars, not asdict: the fields are flat JSON values, and asdict deep-copies them on every message.
    desk.store.set(Keys.dialog(channel, sender), sealing.current().seal(json.dumps(vars(draft), ensure_ascii=False)),
                   ttl=ttl)
