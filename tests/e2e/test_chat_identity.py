"""`baoxiu chat --as <who>`: an identity the desk cannot be stops the chat at once, with the reason."""
from __future__ import annotations

import pytest

from tests.e2e.test_cli import Baoxiu, _no_baoxiu_environment, baoxiu, site  # noqa: F401  (fixtures)


@pytest.mark.parametrize(("who", "reason"), [("owner:abc", "业主身份需是 11 位手机号"),
                                             ("technician:T99", "没有编号为 T99 的师傅"),
                                             ("boss:1", "未知的身份 boss")])
def test_chatting_as_someone_who_does_not_exist_fails_at_once_and_says_why(baoxiu: Baoxiu, who: str,
                                                                          reason: str) -> None:
    baoxiu("demo")
    result = baoxiu("chat", "--as", who, ok=False)
    assert reason in result.output and f"{who}>" not in result.output  # no prompt was ever shown


def test_chatting_as_a_known_technician_opens_the_session(baoxiu: Baoxiu) -> None:
    baoxiu("demo")
    assert "technician:T01>" in baoxiu("chat", "--as", "technician:T01").output
