"""The owner dialogs of tests/corpus/dialogs.jsonl, run through the console as owners would type them.

Each dialog is a list of messages from one owner and the ticket a competent dispatcher would have
filed from them. At least 95% must come out exactly so; the misses are printed. The judging is
tests/corpus/judge.py, the same the benchmark prints.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.bootstrap import Desk
from tests.corpus.judge import DIALOGS, dialog_desk, held_out, load, score_dialogs

ACCURACY = 0.95


@pytest.fixture(scope="module")
def corpus_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    desk = dialog_desk(tmp_path_factory.mktemp("corpus"))
    yield desk
    desk.close()


def test_the_corpus_is_large_and_varied_enough() -> None:
    corpus = load(DIALOGS)
    assert len(corpus) >= 120
    assert len({d["id"] for d in corpus}) == len(corpus)
    assert all(len(d["turns"]) >= 2 for d in corpus)
    assert len({d["category"] for d in corpus}) >= 15
    assert sum(held_out(d) for d in corpus) >= 25


def test_owner_dialogs_give_the_expected_tickets(corpus_desk: Desk) -> None:
    corpus = load(DIALOGS)
    tally = score_dialogs(corpus_desk, corpus)
    print(f"\nheld-out dialogs: {tally.rate('dialogs:heldout'):.1%}")
    print(f"dialog corpus: {tally.rate('dialogs:all'):.1%}")
    for dialog, misses in tally.misses:
        print(f"  MISS {dialog['id']} {dialog['turns']}: {'; '.join(misses)}")
    assert tally.rate("dialogs:all") >= ACCURACY, sorted(d["id"] for d, _ in tally.misses)
