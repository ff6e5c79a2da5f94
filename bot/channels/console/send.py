"""The console channel: the same handler path in a terminal, for operators, demos and scripts."""
from __future__ import annotations

from collections.abc import Callable

from domain.notices import button_label
from handlers.base import Reply
from scheduler.outbound import Outgoing


def render(to: str, text: str, buttons: tuple[str, ...], numbered: bool = True) -> str:
    """`→ role:id text`, buttons as numbered choices the person can answer with; unnumbered, as the words
    to type (a bare number answers something else then)."""
    lines = [f"→ {to} {text}"]
    if buttons and numbered:
        lines.append("   " + "  ".join(f"[{i}] {button_label(b)}" for i, b in enumerate(buttons, 1)))
    elif buttons:
        lines.append("   （回复" + "/".join(f"「{button_label(b)}」" for b in buttons) + "）")
    return "\n".join(lines)


class ConsoleSender:
    """Prints notices meant for anyone, as they are sent; they read as `→ technician:T01 …`."""

    name = "console"

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.write = write
        self.last_buttons: dict[str, tuple[str, ...]] = {}
        self.answering: str | None = None

    def begin(self, to: str) -> None:
        """`to` just wrote: until end(), a bare number they type next answers the bot's reply only."""
        self.answering = to

    def end(self) -> None:
        self.answering = None

    def send(self, message: Outgoing) -> None:
        # A notice that comes out while answering someone (one held for them, released because they
        # wrote) must not take over the numbers of the reply they are looking at.
        numbered = message.kind == "reply" or message.to != self.answering
        if message.buttons and numbered:
            self.last_buttons[message.to] = message.buttons
        self.write(render(message.to, message.text, message.buttons, numbered))

    def reply(self, to: str, reply: Reply) -> None:
        self.send(Outgoing(to, reply.text, reply.buttons, kind="reply"))

    def pressed(self, to: str, text: str) -> str:
        """A bare number answers the last buttons this person saw: `1` → `接单 BX…`."""
        choices = self.last_buttons.get(to, ())
        stripped = text.strip()
        if stripped.isdigit() and 1 <= int(stripped) <= len(choices) and not _is_rating(choices):
            return choices[int(stripped) - 1]
        return text


def _is_rating(choices: tuple[str, ...]) -> bool:
    # Star buttons are labelled 5..1; a bare `5` already means five stars.
    return all(c.isdigit() for c in choices)
