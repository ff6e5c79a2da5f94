"""A pytest plugin: every log record of the whole run is checked for a full mobile number, a
platform secret or an access token, as an operator's log would show it (after the product's
redacting filter). A leak fails the run at the end, naming the test; a test that means to log a
full phone says so with `@pytest.mark.logs_phone`.

Root is set to INFO for the run (a deployed service's level): httpx's request lines, where
credentials ride in URLs, are INFO.
"""
from __future__ import annotations

import logging
import os
import re

import pytest

from bot.logs import FILTER
from domain.model import mask_phones
from tests.fakes.dingtalk import APP_SECRET as DING_SECRET
from tests.fakes.wecom_api import KF_SECRET, SECRET

# The fakes' own credentials and the shapes of the tokens they issue (wecom_api.gettoken, dingtalk._token).
KNOWN = re.compile("|".join([re.escape(s) for s in (SECRET, KF_SECRET, DING_SECRET)]
                            + [r"tok-(?:app|kf)-\d+x{40}", r"(?<![\w-])tok\d{6}(?!\w)"]))
# A credential's name followed by anything but the filter's ***.
NAMED = re.compile(r"""(?i)(?<![A-Za-z0-9_])(corpsecret|app_?secret|kf_?secret|access_?token|session(?==))["']?\s*[=:]\s*"""
                   r"""["']?(?!\*\*\*)[A-Za-z0-9_\-]{8,}""")

# Ciphertexts, digests, uuids and hex tokens: random characters, nothing anyone typed.
OPAQUE = re.compile(r"enc1:[A-Za-z0-9_=-]+|(?<![0-9A-Za-z])[0-9a-f]{32,}(?![0-9A-Za-z])"
                    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class LeakGuard(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(self._raw_phone)
        self.addFilter(FILTER)   # what the operator's handlers would print
        self.leaks: list[tuple[str, str]] = []
        self.phone_allowed = False

    def _raw_phone(self, record: logging.LogRecord) -> bool:
        """A full phone in the record as made, before any filter: the filter is a safety net, not
        the way a phone is meant to stay out of the log."""
        text = OPAQUE.sub(" ", _text(record))   # a signature or session id may hold eleven digits in a row
        if not self.phone_allowed and mask_phones(text) != text:
            self._leak(record, "a full mobile number", text)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        text = _text(record)
        what = [m.group(0) for m in (KNOWN.search(text), NAMED.search(text)) if m]
        if what:
            self._leak(record, ", ".join(what), text)

    def _leak(self, record: logging.LogRecord, what: str, text: str) -> None:
        test = os.environ.get("PYTEST_CURRENT_TEST", "(between tests)").rsplit(" ", 1)[0]
        self.leaks.append((test, f"{record.name}: {what}: {mask_phones(text)[:160]!r}"))


def _text(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:   # a broken format string is the logging module's to report
        message = str(record.msg)
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    return message + "\n" + (record.exc_text or "") + (record.stack_info or "")


GUARD = LeakGuard()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "logs_phone: the test logs a full mobile number on purpose")
    root = logging.getLogger()
    root.addHandler(GUARD)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def pytest_runtest_setup(item: pytest.Item) -> None:
    GUARD.phone_allowed = item.get_closest_marker("logs_phone") is not None


def pytest_sessionfinish(session: pytest.Session) -> None:
    if GUARD.leaks and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if GUARD.leaks:
        terminalreporter.section("personal data or credentials in the log", red=True)
        for test, what in GUARD.leaks[:50]:
            terminalreporter.line(f"{test}: {what}")
        if len(GUARD.leaks) > 50:
            terminalreporter.line(f"... and {len(GUARD.leaks) - 50} more")
