"""The owner dialogs of tests/corpus/dialogs.jsonl, run through the console as owners would type them.

Each dialog is a list of messages from one owner and the ticket a competent dispatcher would have
filed from them. At least 95% must come out exactly so; the misses are printed.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.bootstrap import Desk
from storage.tables import TicketRow
from tests.conftest import CN, Chat, FakeClock, make_desk

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "dialogs.jsonl"
ACCURACY = 0.95
# Wednesday 2 Dec 2026, 10:00 in Shanghai: the day every date in the corpus is read from.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=CN)
ASKED_FOR_A_NEW_FORM = ("请告诉我地址", "请问是哪件产品出了问题")


def dialogs() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def corpus_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    clock = FakeClock(NOW.astimezone(timezone.utc))
    desk = make_desk("sqlite", tmp_path_factory.mktemp("corpus"), clock)
    yield desk
    desk.close()


def _max_id(desk: Desk) -> int:
    with desk.uow() as uow:
        return uow.session.scalar(select(func.max(TicketRow.id))) or 0


def _observed(desk: Desk, first_id: int, last_reply: str) -> dict[str, Any]:
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


def _misses(dialog: dict[str, Any], seen: dict[str, Any]) -> list[str]:
    expect = dialog["expect"]
    misses = []
    for key, want in expect.items():
        got = seen.get(key)
        ok = got in want if isinstance(want, list) else got == want
        if not ok:
            misses.append(f"{key}: expected {want!r}, got {got!r}")
    if seen["no_ticket"] and not expect.get("no_ticket"):
        misses.append("no ticket was made")
    if dialog["category"].startswith("cancel") and any(q in seen["last_reply"] for q in ASKED_FOR_A_NEW_FORM):
        misses.append("the cancel was answered by a new form")
    return misses


def run(desk: Desk, index: int, dialog: dict[str, Any]) -> list[str]:
    """One dialog from an owner of its own; what differs from the expected ticket."""
    phone = f"1370000{index:04d}"
    chat = Chat(desk)
    first = _max_id(desk)
    out = ""
    for turn in dialog["turns"]:
        out = chat(f"owner:{phone}", turn)
    return _misses(dialog, _observed(desk, first, out))


def test_the_corpus_is_large_and_varied_enough() -> None:
    corpus = dialogs()
    assert len(corpus) >= 120
    assert len({d["id"] for d in corpus}) == len(corpus)
    assert all(len(d["turns"]) >= 2 for d in corpus)
    assert len({d["category"] for d in corpus}) >= 15


def test_owner_dialogs_give_the_expected_tickets(corpus_desk: Desk) -> None:
    corpus = dialogs()
    failures: dict[str, list[str]] = {}
    by_category: Counter[str] = Counter()
    for index, dialog in enumerate(corpus):
        misses = run(corpus_desk, index, dialog)
        if misses:
            failures[dialog["id"]] = misses
            by_category[dialog["category"]] += 1
    passed = len(corpus) - len(failures)
    held_out = [d["id"] for d in corpus if d["category"].startswith("heldout_")]
    if held_out:   # written after the tuning and never tuned to: the honest figure
        kept = sum(1 for i in held_out if i not in failures)
        print(f"\nheld-out dialogs: {kept}/{len(held_out)} = {kept / len(held_out):.1%}")
    print(f"\ndialog corpus: {passed}/{len(corpus)} = {passed / len(corpus):.1%}"
          + (f" (misses by category: {dict(by_category)})" if by_category else ""))
    for dialog_id, misses in failures.items():
        turns = next(d["turns"] for d in corpus if d["id"] == dialog_id)
        print(f"  MISS {dialog_id} {turns}: {'; '.join(misses)}")
    assert passed / len(corpus) >= ACCURACY, f"{len(failures)} dialogs wrong: {sorted(failures)}"
