"""Which ticket a message means when the number is left out."""
from __future__ import annotations

from collections.abc import Sequence

from domain.errors import Refused
from domain.ticket import State, Ticket


class Several(Refused):
    """More than one ticket fits: the person is asked which, with the numbers as buttons."""

    def __init__(self, numbers: list[str]) -> None:
        self.numbers = numbers
        super().__init__(f"您有多张工单：{'、'.join(numbers)}。请选择是哪一张，或在指令后加上工单号。")


def pick(tickets: Sequence[Ticket], number: str | None, none_text: str) -> str:
    """The ticket number meant: the one given, or the only candidate, or ask."""
    if number:
        return number
    if not tickets:
        raise Refused(none_text)
    if len(tickets) > 1:
        raise Several([t.number for t in tickets[:5]])
    return tickets[0].number


def in_states(tickets: Sequence[Ticket], *states: State) -> list[Ticket]:
    return [t for t in tickets if t.state in states]
