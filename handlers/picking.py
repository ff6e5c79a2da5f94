"""Which ticket a message means when the number is left out."""
from __future__ import annotations

from collections.abc import Sequence

from domain.errors import Refused
from domain.ticket import State, Ticket


def pick(tickets: Sequence[Ticket], number: str | None, none_text: str) -> str:
    """The ticket number meant: the one given, or the only candidate, or ask."""
    if number:
        return number
    if not tickets:
        raise Refused(none_text)
    if len(tickets) > 1:
        listed = "、".join(t.number for t in tickets[:5])
        raise Refused(f"您有多张工单：{listed}。请在指令后加上工单号。")
    return tickets[0].number


def in_states(tickets: Sequence[Ticket], *states: State) -> list[Ticket]:
    return [t for t in tickets if t.state in states]
