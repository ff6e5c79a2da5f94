"""The outbound half: the app's sender (members, by UserID) and 微信客服's (customers, by external_userid)."""
from __future__ import annotations

import logging
from datetime import timedelta

from bot.channels.wecom import cards
from bot.channels.wecom.client import ApiError, WecomApi
from bot.channels.wecom.settings import WecomSettings
from bot.channels.wecom.state import CardBook, KfWindow, Pacer
from scheduler.attachments import Attachment
from scheduler.outbound import DeliveryError, Outgoing

log = logging.getLogger("baoxiu.wecom")

# WeCom drops a message identical to one sent to the same member within the interval (at most
# 4 hours): a resend after a lost answer or a worker's crash (its lease ran out) is not seen twice.
DUPLICATE_CHECK = {"enable_duplicate_check": 1, "duplicate_check_interval": 14400}
TASK_ID_TAKEN = 42014        # our task_id derives from the outbox key: taken means already sent
# kf/send_msg codes that mean "wait until the customer writes": 95001 = the 5-message cap
# (third-party sources), 95018 = "send msg session status invalid" (seen in real answers: the
# session is closed or past its 48 hours). Every other code is a real failure: a configuration
# error such as 95000 (invalid open_kfid) must reach the log by name, not wait for the owner.
KF_WINDOW_CODES = frozenset({95001, 95018})
KF_DUPLICATE_MSGID = 95020   # (unverified) our msgid already used: the message went out before
KF_ERRORS = {95000: "invalid open_kfid: check [wecom].kf_open_kfid",
             95004: "open_kfid not found: check [wecom].kf_open_kfid",   # (unverified)
             95007: "invalid msg token"}


def delivery_error(e: ApiError) -> DeliveryError:
    return DeliveryError(f"wecom {e}", retry=e.retryable)


def upload(api: WecomApi, app: str, attachment: Attachment) -> str:
    """media/upload first: it is the call most likely to fail, and nothing has been sent yet then."""
    try:
        return api.upload(app, attachment.kind, attachment.filename, attachment.data, attachment.content_type)
    except ApiError as e:
        raise delivery_error(e) from e


def media_body(attachment: Attachment, media_id: str) -> dict[str, object]:
    return {"msgtype": attachment.kind, attachment.kind: {"media_id": media_id}}


class AppSender:
    """Members of the corp through the self-built app: text, or a button card when there are buttons."""

    name = "wecom"

    def __init__(self, api: WecomApi, settings: WecomSettings, book: CardBook, pacer: Pacer) -> None:
        self.api, self.settings, self.book, self.pacer = api, settings, book, pacer

    def send(self, message: Outgoing) -> None:
        label = cards.final_label(message.kind, message.text)
        if label and message.ticket_number:
            self.update_card(message.ticket_number, message.to, label)
        if not self.pacer.allow(message.to):
            # Above 30 a minute WeCom drops silently: wait for the outbox's next try instead.
            raise DeliveryError("wecom: 30 messages a minute to this member; paced", retry_after=timedelta(seconds=60))
        if message.attachment is not None:
            self._send_with_file(message, message.attachment)
        elif cards.can_be_card(message):
            self._send_card(message)
        else:
            self._post({"touser": message.to, "agentid": self.settings.agent_id, **cards.text_body(message),
                        **DUPLICATE_CHECK})

    def update_card(self, ticket: str, user: str, label: str) -> bool:
        """Grey out the buttons of the offer card this member holds; False when it cannot be done."""
        self.book.close(ticket, user)
        card = self.book.spend(ticket, user)
        if card is None:
            return False
        body = {"userids": [user], "agentid": self.settings.agent_id, "response_code": card.code,
                "button": {"replace_name": label}}
        try:
            self.api.post("app", "/cgi-bin/message/update_template_card", body)
        except ApiError as e:  # the notice text still goes out; a stale card is cosmetic
            log.info("wecom card for %s not updated: %s", ticket, e)
            return False
        return True

    def _send_with_file(self, message: Outgoing, attachment: Attachment) -> None:
        """The text (the figures in words, or what the file is), then the picture or file itself."""
        media_id = upload(self.api, "app", attachment)
        if message.text.strip():
            self._post({"touser": message.to, "agentid": self.settings.agent_id, **cards.text_body(message)})
        self._post({"touser": message.to, "agentid": self.settings.agent_id, **media_body(attachment, media_id)})

    def _send_card(self, message: Outgoing) -> None:
        body = {"touser": message.to, **cards.card_body(message, self.settings.agent_id), **DUPLICATE_CHECK}
        try:
            data = self._post(body)
        except DeliveryError as e:
            if isinstance(e.__cause__, ApiError) and e.__cause__.code == TASK_ID_TAKEN:
                return  # a retry of a card WeCom already took; its response_code was lost with the answer
            raise
        if message.kind == "offer" and message.ticket_number:
            self.book.sent(message.ticket_number, message.to, body["template_card"]["task_id"],
                           str(data.get("response_code", "")))

    def _post(self, body: dict[str, object]) -> dict[str, object]:
        try:
            data = self.api.post("app", "/cgi-bin/message/send", body)
        except ApiError as e:
            raise delivery_error(e) from e
        if data.get("invaliduser"):
            raise DeliveryError("wecom: not a member of the app's visible range", retry=False)
        return data


# 微信客服 allows 5 messages per 48 h after the customer writes. The last RESERVED of them are kept
# for what the owner must not miss; anything else waits and goes as one digest when they write.
RANKED = frozenset({"reply", "opened", "on_the_way", "resolved", "survey", "digest"})
RESERVED = 2


class KfSender:
    """WeChat customers through 微信客服; buttons become a msgmenu whose clicks come back as text."""

    name = "wecom_kf"

    def __init__(self, api: WecomApi, settings: WecomSettings, window: KfWindow) -> None:
        self.api, self.settings, self.window = api, settings, window

    def send(self, message: Outgoing) -> None:
        open_kfid = self.window.account(message.to) or self.settings.kf_open_kfid
        closed = self.window.closed_because(message.to)
        if closed:
            raise DeliveryError(closed, hold=True)
        left = self.window.left(message.to)
        if message.kind not in RANKED and left <= RESERVED:
            raise DeliveryError(f"预算：本窗口只剩{left}条，留给重要通知；客户下次留言时汇总发送", hold=True)
        if not open_kfid:
            raise DeliveryError("wecom_kf: no 微信客服 account known for this customer", retry=False)
        body = cards.menu_body(message) if cards.can_be_menu(message) else cards.text_body(message)
        msgid = cards.kf_msgid(message)
        if message.attachment is None:
            self._post(message.to, {"touser": message.to, "open_kfid": open_kfid, "msgid": msgid, **body})
            return
        # Two messages of the window's five; each has its own msgid, so a retry resends only what is missing.
        media_id = upload(self.api, "kf", message.attachment)
        if message.text.strip():
            self._post(message.to, {"touser": message.to, "open_kfid": open_kfid, "msgid": msgid, **body})
        self._post(message.to, {"touser": message.to, "open_kfid": open_kfid, "msgid": msgid[:30] + "-f",
                                **media_body(message.attachment, media_id)})

    def _post(self, to: str, payload: dict[str, object]) -> None:
        try:
            self.api.post("kf", "/cgi-bin/kf/send_msg", payload)
        except ApiError as e:
            if e.code == KF_DUPLICATE_MSGID:
                return
            if e.code in KF_WINDOW_CODES:
                raise DeliveryError("客户回复后才能继续发送", hold=True) from e
            if e.code in KF_ERRORS:
                log.error("wecom_kf send_msg refused: %d %s", e.code, KF_ERRORS[e.code])
                raise DeliveryError(f"wecom_kf {e.code} {KF_ERRORS[e.code]}", retry=False) from e
            raise delivery_error(e) from e
        self.window.sent(to)
