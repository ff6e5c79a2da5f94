"""The one judge of the understanding corpora: the tests and `benchmarks/understanding.py` both use it,
so the figure the benchmark prints is the figure the tests check.

Utterances (`utterances.jsonl`: role, text, context, intent, slots, category, heldout, and where it
is not acting on the intent, `does`/`options`) are read as that role's conversation reads them, with
the context's ticket states, the demo roster for names and a fixed "now" (Monday 23 Nov 2026, 10:00
in Shanghai), and handed to the conversation's own decision: act on the intent (the default), ask
back with `options` as buttons (`"does": "ask"`; one option is a confirmation), or `"answer"` (nothing
read: the role's fallback reply). Dialogs (`dialogs.jsonl`: turns from one owner and
the ticket expected) go through the console on one desk, each from an owner of its own, on the
dialogs' fixed "now" (Wednesday 2 Dec 2026, 10:00 in Shanghai), and the ticket made is compared
field by field.
"""
from __future__ import annotations

import csv
import json
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.bootstrap import Desk, bootstrap
from bot.channels.console.channel import ConsoleSession
from bot.settings import load_settings
from handlers import conversation, desk_talk, intents, owner, slots, technician
from handlers.text import normalize
from handlers.when import Window
from storage import sealing
from storage.importer import import_csv
from storage.kv_memory import MemoryStore
from storage.tables import TicketRow

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
UTTERANCES = HERE / "utterances.jsonl"
DIALOGS = HERE / "dialogs.jsonl"
CN = ZoneInfo("Asia/Shanghai")
UTTERANCE_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CN)
DIALOG_NOW = datetime(2026, 12, 2, 10, 0, tzinfo=CN)
DESK_ROLES = ("dispatcher", "manager", "admin")
ASKED_FOR_A_NEW_FORM = ("请告诉我地址", "请问是哪件产品出了问题")


def load(path: Path = UTTERANCES) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def held_out(item: dict[str, Any]) -> bool:
    """Written without looking at the phrasing tables, and measured before any tuning to them."""
    return bool(item.get("heldout")) or str(item.get("category", "")).startswith("heldout_")


# --- utterances -------------------------------------------------------------------------------

def roster() -> dict[str, tuple[str, ...]]:
    with (ROOT / "bot" / "demo" / "technicians.csv").open(encoding="utf-8") as f:
        return slots.people_index([slots.Person(r["id"], r["name"]) for r in csv.DictReader(f)])


ACTIONS: dict[str, Collection[str]] = {"owner": owner.ACTIONS, "technician": technician.ACTIONS,
                                       "dispatcher": desk_talk.DISPATCHER_ACTIONS,
                                       "manager": desk_talk.MANAGER_ACTIONS}


def read(item: dict[str, Any], people: dict[str, tuple[str, ...]]) -> intents.Reading:
    states = [t["state"] for t in (item.get("context") or {}).get("tickets", [])]
    role = item["role"]
    return conversation.reader_for(role, "BX", UTTERANCE_NOW, states, people if role in DESK_ROLES else None)(
        item["text"])


def decide(item: dict[str, Any], reading: intents.Reading) -> conversation.Decision:
    return conversation.decide(reading, item["role"], ACTIONS[item["role"]])


def handled(item: dict[str, Any], decision: conversation.Decision) -> bool:
    """The conversation did what the corpus names: acted on the intent unless it says to ask or answer."""
    does = item.get("does", "act")
    wanted = [item["intent"]] if does == "act" else item.get("options", [])
    return decision.does == does and sorted(decision.intents) == sorted(wanted)


def _slot(expected: Any, got: Any, name: str, reading: intents.Reading) -> bool:
    if name == "reason":
        return isinstance(expected, str) and normalize(expected) in reading.reason
    if name == "time":
        if not isinstance(got, Window):
            return False
        return f"{got.start.astimezone(CN):%m-%d %H:%M}".startswith(expected)
    if name == "parts":
        return [[n.lower(), q] for n, q in got or []] == [[n.lower(), q] for n, q in expected]
    return bool(got == expected)


def agrees(item: dict[str, Any], reading: intents.Reading) -> bool:
    """The intent, and every slot the corpus names (slots it does not name are not judged)."""
    if reading.intent != item["intent"]:
        return False
    return all(_slot(v, reading.slots.get(k), k, reading) for k, v in item["slots"].items())


@dataclass
class Tally:
    """Right or wrong per group, the time each reading took and what was missed."""

    groups: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    times: list[float] = field(default_factory=list)
    misses: list[tuple[dict[str, Any], Any]] = field(default_factory=list)
    mishandled: list[tuple[dict[str, Any], conversation.Decision]] = field(default_factory=list)

    def add(self, keys: list[str], ok: bool) -> None:
        for key in keys:
            self.groups[key].append(ok)

    def rate(self, key: str) -> float:
        results = self.groups.get(key, [])
        return sum(results) / len(results) if results else 0.0


def _keys(item: dict[str, Any], kind: str) -> list[str]:
    """Groups per kind; the utterances' and dialogs' own groups keep their unprefixed names."""
    mark = "" if kind in ("utterances", "dialogs") else f"{kind} "
    keys = [f"{kind}:all", f"{mark}role:{item.get('role', 'owner')}", f"{mark}category:{item.get('category', '')}"]
    if held_out(item):
        keys += [f"{kind}:heldout", f"{mark}heldout role:{item.get('role', 'owner')}"]
    return keys


def score(items: list[dict[str, Any]]) -> Tally:
    people = roster()
    read(items[0], people)  # the index is built once, at the first message; not timed
    tally = Tally()
    for item in items:
        start = time.perf_counter()
        reading = read(item, people)
        tally.times.append(time.perf_counter() - start)
        ok = agrees(item, reading)
        tally.add(_keys(item, "utterances"), ok)
        if not ok:
            tally.misses.append((item, reading))
        decision = decide(item, reading)
        done = handled(item, decision)
        tally.add(_keys(item, "handled"), done)
        if not done:
            tally.mishandled.append((item, decision))
    return tally


# --- dialogs ----------------------------------------------------------------------------------

def dialog_desk(tmp: Path) -> Desk:
    """A desk on SQLite with the demo data, its clock standing at the dialogs' "now"."""
    settings = load_settings(str(ROOT / "config.example.toml"), env={})
    settings.database.url = f"sqlite:///{tmp / 'dialogs.db'}"
    settings.service.media_dir = str(tmp / "media")
    settings.security.data_key = ",".join(sealing.current().keys)   # the key a test runs with, if any
    now = DIALOG_NOW.astimezone(timezone.utc)
    desk = bootstrap(settings, clock=lambda: now, store=MemoryStore())
    with desk.uow() as uow:
        for kind in ("sites", "products", "technicians", "staff"):
            import_csv(uow.session, kind, ROOT / "bot" / "demo" / f"{kind}.csv")
        uow.commit()
    return desk


def _max_id(desk: Desk) -> int:
    with desk.uow() as uow:
        return uow.session.scalar(select(func.max(TicketRow.id))) or 0


def observed(desk: Desk, first_id: int, last_reply: str) -> dict[str, Any]:
    """The ticket the dialog made (the last one after `first_id`), as the corpus names its fields."""
    with desk.uow() as uow:
        rows = uow.session.scalars(select(TicketRow).where(TicketRow.id > first_id).order_by(TicketRow.id)).all()
        seen: dict[str, Any] = {"tickets": len(rows), "no_ticket": not rows, "last_reply": last_reply}
        if not rows:
            return seen
        ticket = uow.tickets.get(rows[-1].number)
        site = uow.places.site(ticket.site_id) if ticket.site_id else None
        customer = uow.people.customer(ticket.customer_id)
        start = ticket.appointment_start.astimezone(CN).strftime("%Y-%m-%dT%H:%M") if ticket.appointment_start \
            else None
        seen |= {"product": ticket.product_sku, "priority": ticket.priority, "state": ticket.state.value,
                 "phone": customer.phone if customer else None, "appointment": start,
                 "photos": len(ticket.photos),
                 **{part: (getattr(site, part) or None) if site else None
                    for part in ("community", "building", "unit", "room")}}
        return seen


def dialog_misses(dialog: dict[str, Any], seen: dict[str, Any]) -> list[str]:
    expect = dialog["expect"]
    misses = []
    for key, want in expect.items():
        got = seen.get(key)
        ok = got in want if isinstance(want, list) else got == want
        if not ok:
            misses.append(f"{key}: expected {want!r}, got {got!r}")
    if seen["no_ticket"] and not expect.get("no_ticket"):
        misses.append("no ticket was made")
    if dialog["category"].startswith(("cancel", "heldout_cancel")) \
            and any(q in seen["last_reply"] for q in ASKED_FOR_A_NEW_FORM):
        misses.append("the cancel was answered by a new form")
    return misses


def run_dialog(desk: Desk, index: int, dialog: dict[str, Any]) -> list[str]:
    """One dialog from an owner of its own; what differs from the expected ticket."""
    out: list[str] = []
    session = ConsoleSession(desk, out.append)
    first = _max_id(desk)
    said = 0
    for turn in dialog["turns"]:
        said = len(out)
        session.say(f"owner:1370000{index:04d}", turn)
    return dialog_misses(dialog, observed(desk, first, "\n".join(out[said:])))


def score_dialogs(desk: Desk, dialogs: list[dict[str, Any]]) -> Tally:
    tally = Tally()
    for index, dialog in enumerate(dialogs):
        start = time.perf_counter()
        misses = run_dialog(desk, index, dialog)
        tally.times.append((time.perf_counter() - start) / len(dialog["turns"]))
        tally.add(_keys({**dialog, "role": "owner"}, "dialogs"), not misses)
        if misses:
            tally.misses.append((dialog, misses))
    return tally
