"""No full mobile number, secret or token in any log line: ours, httpx's, SQLAlchemy's, uvicorn's."""
from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator

import pytest
import uvicorn.config
from sqlalchemy.exc import IntegrityError

from bot import logs
from bot.bootstrap import Desk
from bot.channels.wecom.client import WecomApi
from storage.tables import CustomerRow
from tests.conftest import FakeClock
from tests.fakes.wecom import KF_SECRET, SECRET, FakeWecom, enable, fake  # noqa: F401  (fixture)

PHONE = "13912345678"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """A handler on root like an operator's, at DEBUG so the libraries' request lines are in."""
    stream, root, httpx = io.StringIO(), logging.getLogger(), logging.getLogger("httpx")
    handler, level, httpx_level = logging.StreamHandler(stream), root.level, httpx.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    httpx.setLevel(logging.NOTSET)   # the CLI quiets httpx; an operator may turn it back on
    logs.install()
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)
    httpx.setLevel(httpx_level)


@pytest.mark.logs_phone   # a full phone logged on purpose, to see the filter mask it
@pytest.mark.in_clear     # without a key the driver's error quotes the phone itself
def test_a_flow_with_a_token_request_and_a_unique_violation_logs_neither_secret_nor_phone(
        desk: Desk, fake: FakeWecom, clock: FakeClock, captured: io.StringIO) -> None:
    enable(desk, fake)
    api = WecomApi(desk.settings.wecom, desk.store, clock)
    token = api.token("app")
    api.post("app", "/cgi-bin/message/send", {"touser": "wangjianguo", "agentid": desk.settings.wecom.agent_id,
                                               "msgtype": "text", "text": {"content": f"业主电话 {PHONE}"}})
    api.close()
    with desk.uow() as uow:
        uow.session.add(CustomerRow(phone=PHONE, name="钱女士"))
        uow.commit()
    with desk.uow() as uow, pytest.raises(IntegrityError):
        try:
            uow.session.add(CustomerRow(phone=PHONE, name="钱女士"))
            uow.session.flush()
        except IntegrityError:
            logging.getLogger("baoxiu.import").exception("customer row refused")
            raise
    text = captured.getvalue()
    assert "cgi-bin/gettoken" in text and "cgi-bin/message/send" in text   # httpx's request lines are there
    assert "customer row refused" in text and "139****5678" in text        # and the driver's error text
    for secret in (SECRET, KF_SECRET, token, PHONE):
        assert secret not in text, secret


def test_uvicorns_own_handlers_are_covered_and_its_access_lines_still_format(captured: io.StringIO) -> None:
    logging.config.dictConfig(uvicorn.config.LOGGING_CONFIG)
    logs.install()
    access, stream = logging.getLogger("uvicorn.access"), io.StringIO()
    for handler in access.handlers + logging.getLogger("uvicorn").handlers:
        handler.setStream(stream)  # type: ignore[attr-defined]
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST",
                "/wecom/callback?msg_signature=abc123&access_token=tok-secret-1", "1.1", 200)
    logging.getLogger("uvicorn.error").error("bad request from %s", f"+86 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}")
    line = stream.getvalue()
    assert "/wecom/callback?msg_signature=***&access_token=***" in line and "200" in line
    assert "tok-secret-1" not in line and "abc123" not in line
    assert "bad request from 139****5678" in line   # uvicorn.error, through uvicorn's own handler
    for handler in logging.getLogger("uvicorn").handlers:
        assert logs.FILTER in handler.filters


@pytest.mark.logs_phone   # a full phone logged on purpose, to see the filter mask it
@pytest.mark.in_clear     # without a key the driver's error quotes the phone itself
def test_the_traceback_text_is_redacted_too(captured: io.StringIO) -> None:
    try:
        raise RuntimeError(f"https://api.dingtalk.com/x?access_token=abcdef&sign=zzz phone {PHONE}")
    except RuntimeError:
        logging.getLogger("baoxiu.outbox").exception("send failed")
    text = captured.getvalue()
    assert "Traceback" in text and "abcdef" not in text and "zzz" not in text and PHONE not in text


def test_a_dingtalk_session_webhook_in_a_request_line_is_cut_out() -> None:
    line = logs.redact("HTTP Request: POST https://oapi.dingtalk.com/robot/sendBySession?session=ea8d63fee7814260 200")
    assert "ea8d63fee7814260" not in line and "sendBySession?session=***" in line
