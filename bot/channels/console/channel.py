"""`baoxiu chat`: talk to the bot as any role, interactively or from a script file."""
from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable

from bot.bootstrap import Desk
from bot.channels.console.send import ConsoleSender
from handlers.base import Inbound
from handlers.identity import console_problem
from handlers.router import handle
from scheduler.jobs import tick
from scheduler.ports import Outlets

LINE = re.compile(r"^@(owner|technician|dispatcher|manager|admin):(\S+)\s?(.*)$")
PHOTO = re.compile(r"^\[(?:图片|photo)[:：]?\s*([^\]]*)\]$")


class ConsoleSession:
    """One terminal conversation; other people's notices are printed as they are sent."""

    def __init__(self, desk: Desk, write: Callable[[str], None] = print) -> None:
        self.desk = desk
        self.sender = ConsoleSender(write)

    def say(self, who: str, text: str) -> None:
        text = self.sender.pressed(who, text)
        media = PHOTO.match(text.strip())
        inbound = Inbound("console", who, "" if media else text, media=(media.group(1) or "photo") if media else None)
        self.sender.begin(who)
        try:
            for reply in handle(self.desk, inbound):
                self.sender.reply(who, reply)
            self.flush()
        finally:
            self.sender.end()

    def problem(self, who: str) -> str | None:
        """Why this session cannot speak as `who`, before a word is said."""
        with self.desk.uow() as uow:
            return console_problem(uow, who)

    def flush(self) -> None:
        """Deliver pending scheduled work (offers, notices) now."""
        tick(self.desk, Outlets(senders={"console": self.sender}), self.desk.clock(), fallback="console")


def run_script(session: ConsoleSession, lines: Iterable[str]) -> int:
    """Returns the 1-based number of the first unreadable line, or 0 when all ran."""
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        if match is None:
            return number
        role, ref, text = match.groups()
        session.say(f"{role}:{ref}", text)
    return 0


def interactive(session: ConsoleSession, who: str, read: Callable[[str], str] = input) -> None:
    problem = session.problem(who)
    if problem:  # a session as nobody would only repeat this error: stop at once, non-zero
        print(f"Error: --as {who[:40]}: {problem}", file=sys.stderr)
        raise SystemExit(2)
    print(f"以 {who} 的身份对话。输入「帮助」查看指令，Ctrl-D 退出；按钮可用数字选择；@角色:编号 消息 可切换身份。")
    session.flush()
    while True:
        try:
            line = read(f"{who}> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        match = LINE.match(line.strip())
        if match:
            role, ref, text = match.groups()
            session.say(f"{role}:{ref}", text)
        elif line.strip():
            session.say(who, line)
