"""Every allowed and every forbidden move of the ticket's transition table."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from domain.ticket import OPEN_STATES, TRANSITIONS, Action, State, Ticket, TransitionError

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)

# The table as DESIGN.md draws it, written out once more by hand so that a change
# to the code's table shows up here as a failing case.
EXPECTED: dict[Action, tuple[set[State], State | None]] = {
    Action.OFFER: ({State.NEW}, State.ASSIGNED),
    Action.ASSIGN: ({State.NEW, State.ASSIGNED, State.ACCEPTED, State.IN_PROGRESS, State.WAITING}, State.ASSIGNED),
    Action.ACCEPT: ({State.ASSIGNED}, State.ACCEPTED),
    Action.REJECT: ({State.ASSIGNED}, State.NEW),
    Action.EXPIRE: ({State.ASSIGNED}, State.NEW),
    Action.ARRIVE: ({State.ACCEPTED}, State.IN_PROGRESS),
    Action.HOLD: ({State.ACCEPTED, State.IN_PROGRESS}, State.WAITING),
    Action.RESUME: ({State.WAITING}, None),
    Action.RESOLVE: ({State.IN_PROGRESS}, State.RESOLVED),
    Action.CONFIRM: ({State.RESOLVED}, State.CLOSED),
    Action.REOPEN: ({State.RESOLVED, State.CLOSED}, State.ACCEPTED),  # closed: within the rating window
    Action.AUTO_CLOSE: ({State.RESOLVED}, State.CLOSED),
    Action.CANCEL: ({State.NEW, State.ASSIGNED, State.ACCEPTED, State.WAITING}, State.CANCELLED),
    Action.HAND_BACK: ({State.ACCEPTED, State.IN_PROGRESS, State.WAITING}, State.NEW),
    Action.PARK: ({State.NEW, State.ASSIGNED, State.ACCEPTED}, State.WAITING),
    Action.SETTLE: ({State.WAITING}, State.RESOLVED),
}


def ticket_in(state: State, held_from: State | None = None) -> Ticket:
    t = Ticket("BX20261123-0001", "repair", "normal", "漏水", 1, NOW, state=state)
    t.held_from = held_from
    return t


CASES = [(a, s) for a in Action for s in State]


def test_the_code_table_is_the_designed_table() -> None:
    assert {a: (set(src), dst) for a, (src, dst) in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize(("action", "state"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_each_action_from_each_state_moves_or_is_refused(action: Action, state: State) -> None:
    sources, target = EXPECTED[action]
    t = ticket_in(state, held_from=State.IN_PROGRESS if state is State.WAITING else None)
    if state in sources:
        t.apply(action, "technician:T01", NOW, "why")
        assert t.state is (target or State.IN_PROGRESS)
        entry = t.trail[-1]
        assert (entry.actor, entry.at, entry.from_state, entry.to_state, entry.reason) == (
            "technician:T01", NOW, state, t.state, "why")
    else:
        with pytest.raises(TransitionError):
            t.apply(action, "technician:T01", NOW)
        assert t.state is state and t.trail == []


def test_resume_goes_back_to_the_state_before_the_hold() -> None:
    t = ticket_in(State.ACCEPTED)
    t.apply(Action.HOLD, "technician:T01", NOW, "等配件")
    assert (t.state, t.held_from, t.held_at) == (State.WAITING, State.ACCEPTED, NOW)
    t.apply(Action.RESUME, "technician:T01", NOW)
    assert (t.state, t.held_from, t.held_at) == (State.ACCEPTED, None, None)


def test_cancelled_is_final_and_closed_only_reopens() -> None:
    assert OPEN_STATES == frozenset(State) - {State.CLOSED, State.CANCELLED}
    assert not any(ticket_in(State.CANCELLED).can(a) for a in Action)
    assert [a for a in Action if ticket_in(State.CLOSED).can(a)] == [Action.REOPEN]


def test_events_that_do_not_move_the_state_are_still_audited() -> None:
    t = ticket_in(State.ACCEPTED)
    t.record("appoint", "technician:T01", NOW, "11月24日 15:00")
    assert t.state is State.ACCEPTED
    assert (t.trail[0].action, t.trail[0].from_state, t.trail[0].to_state) == ("appoint", State.ACCEPTED, State.ACCEPTED)
