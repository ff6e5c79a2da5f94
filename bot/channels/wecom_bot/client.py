"""The commands this service sends over the long connection, each answered by WeCom with
`{"headers": {"req_id"}, "errcode", "errmsg"}`; errors come out as `ApiError`."""
from __future__ import annotations

from typing import Any

from bot.channels.wecom_bot.connection import CommandFailed, LongConnection, NotConnected

# WeCom's frequency limits (30 a minute, 1000 an hour per chat, replies and pushes together).
RATE_LIMITED = {45009, 45033, 45047}


class ApiError(Exception):
    """retry: worth trying again; paced: a rate limit (wait, no failed attempt); elsewhere: this
    process has no connection, the holder's process sends it; unsure: written, answer lost."""

    def __init__(self, message: str, retry: bool = True, paced: bool = False, elsewhere: bool = False,
                 unsure: bool = False, code: int = 0) -> None:
        super().__init__(message)
        self.retry, self.paced, self.elsewhere, self.unsure, self.code = retry, paced, elsewhere, unsure, code


class BotClient:
    def __init__(self, connection: LongConnection) -> None:
        self.connection = connection

    def send(self, chatid: str, group: bool, message: dict[str, Any]) -> None:
        """`aibot_send_msg`: a proactive message to a person (their userid) or a group (its chatid).

        WeCom accepts it only in chats where the person (or someone in the group) wrote to the bot."""
        self._call("aibot_send_msg", {"chatid": chatid, "chat_type": 2 if group else 1, **message})

    def update_card(self, req_id: str, card: dict[str, Any]) -> bool:
        """`aibot_respond_update_msg` for a click's req_id; False when the click was answered already."""
        try:
            return self.connection.answer_once(req_id, "aibot_respond_update_msg",
                                               {"response_type": "update_template_card", "template_card": card})
        except (CommandFailed, NotConnected, TimeoutError) as e:
            raise ApiError(f"card update: {e}", retry=False) from None

    def _call(self, cmd: str, body: dict[str, Any]) -> None:
        try:
            self.connection.request(cmd, body)
        except NotConnected as e:
            raise ApiError(f"wecom_bot: {e}", elsewhere=True) from None
        except TimeoutError:
            raise ApiError("wecom_bot: no answer to a send", unsure=True) from None
        except CommandFailed as e:
            raise ApiError(f"wecom_bot: {e}", paced=e.errcode in RATE_LIMITED, code=e.errcode) from None
