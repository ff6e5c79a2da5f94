"""How well the bot understands people: intent + slot accuracy on the corpus, and time per message.

    .venv/bin/python benchmarks/understanding.py [--misses]

Reads `tests/corpus/utterances.jsonl` (role, text, context, intent, slots, category): each text is
read as that role would say it, with the context's ticket states, the demo roster for names and
the corpus' fixed "now" (Monday 23 Nov 2026, 10:00 in Shanghai). Prints accuracy by role and by
category and the median and worst time per message. When `tests/corpus/dialogs.jsonl` exists,
its dialogs (owner messages in turn) are fed through the console as an owner and the resulting
ticket's fields compared with the expected ones.
"""
from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from sqlalchemy import select  # noqa: E402

from bot.bootstrap import bootstrap  # noqa: E402
from bot.channels.console.channel import ConsoleSession  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from handlers import intents, slots  # noqa: E402
from handlers.text import normalize  # noqa: E402
from handlers.when import Window  # noqa: E402
from storage.importer import import_csv  # noqa: E402
from storage.kv_memory import MemoryStore  # noqa: E402
from storage.tables import TicketRow  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "utterances.jsonl"
DIALOGS = ROOT / "tests" / "corpus" / "dialogs.jsonl"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DESK_ROLES = ("dispatcher", "manager", "admin")


def load(path: Path = CORPUS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def roster() -> dict[str, tuple[str, ...]]:
    with (ROOT / "bot" / "demo" / "technicians.csv").open(encoding="utf-8") as f:
        return slots.people_index([slots.Person(r["id"], r["name"]) for r in csv.DictReader(f)])


def read(item: dict[str, Any], people: dict[str, tuple[str, ...]]) -> intents.Reading:
    states = [t["state"] for t in (item.get("context") or {}).get("tickets", [])]
    return intents.read(item["role"], item["text"], people=people if item["role"] in DESK_ROLES else None,
                        states=states, now=NOW)


def _slot(expected: Any, got: Any, name: str, reading: intents.Reading) -> bool:
    if name == "reason":
        return isinstance(expected, str) and normalize(expected) in reading.reason
    if name == "time":
        if not isinstance(got, Window):
            return False
        local = got.start.astimezone(NOW.tzinfo)
        return f"{local:%m-%d %H:%M}".startswith(expected)
    if name == "parts":
        return [[n.lower(), q] for n, q in got or []] == [[n.lower(), q] for n, q in expected]
    return bool(got == expected)


def agrees(item: dict[str, Any], reading: intents.Reading) -> bool:
    """The intent, and every slot the corpus names (slots it does not name are not judged)."""
    if reading.intent != item["intent"]:
        return False
    return all(_slot(v, reading.slots.get(k), k, reading) for k, v in item["slots"].items())


def score(items: list[dict[str, Any]]) -> tuple[dict[str, list[bool]], dict[str, list[bool]], list[float],
                                                 list[tuple[dict[str, Any], intents.Reading]]]:
    people = roster()
    by_role: dict[str, list[bool]] = defaultdict(list)
    by_category: dict[str, list[bool]] = defaultdict(list)
    times, misses = [], []
    for item in items:
        start = time.perf_counter()
        reading = read(item, people)
        times.append(time.perf_counter() - start)
        ok = agrees(item, reading)
        by_role[item["role"]].append(ok)
        by_category[item["category"]].append(ok)
        if not ok:
            misses.append((item, reading))
    return by_role, by_category, times, misses


def _line(name: str, results: list[bool]) -> str:
    return f"  {name:<12} {sum(results):>4}/{len(results):<4} {100 * sum(results) / len(results):6.1f}%"


def dialogs() -> None:
    """Each dialog through the console as an owner; the ticket made compared field by field."""
    by_category: dict[str, list[bool]] = defaultdict(list)
    for n, item in enumerate(load(DIALOGS)):
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(str(ROOT / "config.example.toml"), env={})
            settings.database.url = f"sqlite:///{tmp}/d.db"
            settings.service.media_dir = f"{tmp}/media"
            desk = bootstrap(settings, clock=lambda: NOW, store=MemoryStore())
            with desk.uow() as uow:
                for kind in ("sites", "products", "technicians", "staff"):
                    import_csv(uow.session, kind, ROOT / "bot" / "demo" / f"{kind}.csv")
                uow.commit()
            session = ConsoleSession(desk, lambda _: None)
            for turn in item["turns"]:
                session.say(f"owner:139{n:08d}", turn)
            with desk.uow() as uow:
                number = uow.session.scalars(select(TicketRow.number).order_by(TicketRow.id.desc())).first()
                ticket = uow.tickets.get(number) if number else None
                fields = {k: getattr(ticket, k, None) for k in item["expect"]} if ticket else {}
            desk.close()
        by_category[item.get("category", "")].append(all(str(fields.get(k)) == str(v)
                                                          for k, v in item["expect"].items()))
    print("dialogs:")
    print(_line("all", [ok for results in by_category.values() for ok in results]))
    for name, results in sorted(by_category.items()):
        print(_line(name, results))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true", help="list the utterances read wrongly")
    args = parser.parse_args()
    items = load()
    read(items[0], roster())  # the index is built once, at the first message; not timed
    by_role, by_category, times, misses = score(items)
    print(f"utterances: {len(items)}")
    print("by role:")
    for name, results in sorted(by_role.items()):
        print(_line(name, results))
    print("by category:")
    for name, results in sorted(by_category.items()):
        print(_line(name, results))
    print(f"time per message: median {statistics.median(times) * 1e6:.0f} µs, "
          f"p95 {sorted(times)[int(len(times) * 0.95)] * 1e6:.0f} µs, worst {max(times) * 1e6:.0f} µs")
    if args.misses:
        for item, reading in misses:
            got = {k: (v if not isinstance(v, Window) else f"{v.start.astimezone(NOW.tzinfo):%m-%d %H:%M}")
                   for k, v in reading.slots.items()}
            print(f"  ✗ {item['role']:<10} {item['text']}  want {item['intent']} {item['slots']}  "
                  f"got {reading.intent} {got} reason={reading.reason!r} conf={reading.confidence}")
    if DIALOGS.exists():
        dialogs()


if __name__ == "__main__":
    main()
