"""One filter every log record passes through: full mobile numbers masked, credentials cut out.

It sits on the handlers (root's, and those libraries install for themselves such as uvicorn's),
not on loggers: a handler sees every record that reaches it, whichever logger made it, so
`httpx` (request URLs with `corpsecret` / `access_token`), `sqlalchemy` and driver errors (a
unique violation's `DETAIL: Key (phone)=(139…)`) and our own loggers are covered alike, and
so is the traceback text of `log.exception`.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from domain.model import mask_phones

# Names whose value is a credential, in a query string (`?access_token=…`), a header line
# (`x-acs-dingtalk-access-token: …`) or JSON (`"appSecret": "…"`).
_SECRET_NAMES = (r"corpsecret|secret|app_?secret|kf_?secret|access_?token|x-acs-dingtalk-access-token|"
                 r"refresh_?token|token|sign|signature|msg_signature|ticket|password|passwd|"
                 r"encoding_?aes_?key|aes_?key|data_?key|api_?key|authorization|"
                 r"session(?=\s*=)")   # DingTalk's sessionWebhook URL: whoever holds it can post to the chat
_CREDENTIAL = re.compile(
    rf"""(?i)(?<![A-Za-z0-9_])((?:{_SECRET_NAMES})["']?\s*(?:=|:)\s*["']?(?:Bearer\s+)?)([^\s&"',;}}\]]+)""")
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)([^@\s]+)(@)")
HIDDEN = "***"


def redact(text: str) -> str:
    """The text with credentials replaced by *** and mobile numbers masked (138****8000)."""
    text = _CREDENTIAL.sub(lambda m: m.group(1) + HIDDEN, text)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + HIDDEN + m.group(3), text)
    return mask_phones(text)


class Redact(logging.Filter):
    """Rewrites the record in place (message, arguments, traceback text); never drops one."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        # Arguments one by one first: formatters such as uvicorn's access log unpack them.
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, redacted
            message = f"{record.msg} {record.args}"
        clean = redact(message)
        if clean != message:  # a secret in the format string itself, or split across arguments
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(record.exc_text or self._formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _clean(value: object) -> object:
    if value is None or isinstance(value, (int, float)):
        return value
    text = str(value)
    clean = redact(text)
    return value if clean == text else clean


FILTER = Redact()


def install() -> None:
    """Put the filter on root's handlers and on every handler a library logger has of its own.

    Call it after logging is configured, and again once uvicorn has configured its loggers (the
    app's start-up does): a handler added later would otherwise print unfiltered."""
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers += [lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            if FILTER not in handler.filters:
                handler.addFilter(FILTER)
