"""The run-wide log check (tests/leak_guard.py) sees what an operator's log would hold."""
from __future__ import annotations

import logging

from tests.fakes.wecom_api import SECRET
from tests.leak_guard import LeakGuard


def guarded(*messages: str, phone_allowed: bool = False) -> list[str]:
    guard, logger = LeakGuard(), logging.getLogger("baoxiu.test-guard")
    guard.phone_allowed = phone_allowed
    logger.addHandler(guard)
    logger.propagate = False   # kept out of the run-wide guard: these leaks are made on purpose
    try:
        for m in messages:
            logger.warning("%s", m)
    finally:
        logger.removeHandler(guard)
        logger.propagate = True
    return [what for _test, what in guard.leaks]


def test_a_full_phone_a_secret_and_a_token_are_each_caught() -> None:
    leaks = guarded("业主电话 13912345678", f"secret was {SECRET}", "cached tok-app-000001" + "x" * 40)
    assert len(leaks) == 3 and "mobile" in leaks[0] and SECRET in leaks[1] and "tok-app-" in leaks[2]


def test_what_the_filter_already_hid_and_a_marked_phone_pass() -> None:
    assert guarded("GET /cgi-bin/gettoken?corpsecret=***", "业主电话 139****5678") == []
    assert guarded("业主电话 13912345678", phone_allowed=True) == []
