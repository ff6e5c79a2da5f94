"""How well the bot understands people: intent + slot accuracy on the corpus, what the conversation
then does with each message (act, ask back with buttons, answer), and time per message.

    .venv/bin/python benchmarks/understanding.py [--misses] [--no-dialogs]

Judged by tests/corpus/judge.py, the judge the tests use, so the figures printed here are the
figures the tests check. Utterances (tests/corpus/utterances.jsonl) are read per role; dialogs
(tests/corpus/dialogs.jsonl) go through the console as owners and the ticket made is compared
field by field. Prints accuracy by role, by category, the held-out part (written without looking
at the phrasing tables) separately, the conversation's decisions by role ("handled"), and the time
per message. Reading an utterance's intent is also timed by CPU time over several rounds (p50, p99)
against its target: well under a millisecond.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from typing import Any
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from handlers.when import Window  # noqa: E402
from handlers.text import normalize  # noqa: E402
from tests.corpus.judge import CN, DIALOGS, Tally, dialog_desk, load, read, roster, score, score_dialogs  # noqa: E402

INTENT_TARGET_MS = 0.5   # p99 CPU time to read one message's intent and slots


def _line(name: str, results: list[bool]) -> str:
    return f"  {name:<24} {sum(results):>4}/{len(results):<4} {100 * sum(results) / len(results):6.1f}%"


def _groups(tally: Tally, kind: str, prefixes: tuple[str, ...]) -> None:
    groups = tally.groups
    print(_line(f"{kind}, all", groups[f"{kind}:all"]))
    if groups.get(f"{kind}:heldout"):
        print(_line(f"{kind}, held-out", groups[f"{kind}:heldout"]))
    for prefix in prefixes:
        names = sorted(k for k in groups if k.startswith(prefix))
        if names:
            print(f" {prefix.rstrip(':')}")
            for name in names:
                print(_line(name.removeprefix(prefix), groups[name]))


def _print(tally: Tally, kind: str) -> None:
    if kind == "dialogs":
        _groups(tally, kind, ("category:",))
    else:
        _groups(tally, kind, ("role:", "heldout role:", "category:"))
        _groups(tally, "handled", ("handled role:", "handled heldout role:"))
    times = sorted(tally.times)
    print(f"  time per message: median {statistics.median(times) * 1e3:.2f} ms, "
          f"p95 {times[int(len(times) * 0.95)] * 1e3:.2f} ms, worst {times[-1] * 1e3:.2f} ms")


def intent_cpu(items: list[dict[str, Any]], rounds: int = 5) -> None:
    """CPU milliseconds per intents.read over every utterance, `rounds` times, after one warm-up round."""
    people = roster()
    cpu: list[float] = []
    for round_ in range(rounds + 1):
        for item in items:
            normalize.cache_clear()   # every message is new to the server: nothing of it is cached yet
            start = time.process_time_ns()
            read(item, people)
            if round_:
                cpu.append((time.process_time_ns() - start) / 1e6)
    cpu.sort()
    p99 = cpu[max(int(len(cpu) * 0.99) - 1, 0)]
    print(f"  intent reading by CPU, {len(cpu)} messages: p50 {statistics.median(cpu):.3f} ms, p99 {p99:.3f} ms, "
          f"max {cpu[-1]:.3f} ms; p99 / {INTENT_TARGET_MS} ms target = {p99 / INTENT_TARGET_MS:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true", help="list what was read wrongly")
    parser.add_argument("--no-dialogs", action="store_true", help="utterances only (the dialogs take a minute)")
    args = parser.parse_args()
    items = load()
    tally = score(items)
    print(f"utterances: {len(items)}")
    _print(tally, "utterances")
    intent_cpu(items)
    if args.misses:
        for item, reading in tally.misses:
            got = {k: (v if not isinstance(v, Window) else f"{v.start.astimezone(CN):%m-%d %H:%M}")
                   for k, v in reading.slots.items()}
            print(f"  ✗ {item['role']:<10} {item['text']}  want {item['intent']} {item['slots']}  "
                  f"got {reading.intent} {got} reason={reading.reason!r} conf={reading.confidence}")
        for item, decision in tally.mishandled:
            want = [item["intent"]] if item.get("does", "act") == "act" else item.get("options", [])
            print(f"  ✗ {item['role']:<10} {item['text']}  want {item.get('does', 'act')} {want}  "
                  f"got {decision.does} {list(decision.intents)}")
    if args.no_dialogs:
        return
    dialogs = load(DIALOGS)
    with tempfile.TemporaryDirectory() as tmp:
        desk = dialog_desk(Path(tmp))
        try:
            found = score_dialogs(desk, dialogs)
        finally:
            desk.close()
    print(f"dialogs: {len(dialogs)} (owner turns through the console; time per turn)")
    _print(found, "dialogs")
    if args.misses:
        for dialog, misses in found.misses:
            print(f"  ✗ {dialog['id']} {dialog['turns']}: {'; '.join(misses)}")


if __name__ == "__main__":
    main()
