"""The outbound half of DingTalk: a chat's sessionWebhook while it lasts, the robot OpenAPI after.

Interactive cards replace ActionCards for messages with buttons when a template is configured.
DingTalk errors become DeliveryError: throttled or flow-controlled recipients wait (pacing, not a
failed attempt), outages are retried with backoff, recipients the robot can never reach go to the
dead letters. Nothing raised here escapes as anything but a DeliveryError, so one bad message
never stops the rest of a delivery run.

Addresses and message bodies for DingTalk: plain text, or an ActionCard whose buttons type commands.

Addresses (the outbox `address`, the identities' `external_id`):
- `<userId>`: a person's single chat with the robot (their staffId / userId);
- `group:<openConversationId>`: a group chat the robot is in;
- `group:<openConversationId>#<tag>`: the same group standing in for someone who is not on
  DingTalk (a caller whose fault the desk filed from the group); the tag only keeps identity
  rows apart and is never sent.

ActionCard buttons can only open links. A `dtmd://dingtalkclient/sendMessage?content=…` link makes
the DingTalk client send that text as the person who pressed it, so 接单 / 拒单 work without
any setup in the developer console, but only in a single chat with the robot: in a group the
text is posted without an @ of the robot, and the robot only hears messages that @ it. So in
groups the choices are written out as what to reply (`@机器人 确认`), unless a card template
is configured (interactive cards call back in groups too).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from sqlalchemy.exc import SQLAlchemyError

from bot.bootstrap import Desk
from bot.channels.dingtalk.client import ApiError, DingtalkClient
from bot.channels.dingtalk.state import forget_webhook, session_webhook
from domain.charts import ChartFigures
from domain.notices import button_label
from scheduler.attachments import Attachment
from scheduler.outbound import DeliveryError, Outgoing
from storage.kv import StoreUnavailable

log = logging.getLogger("baoxiu.dingtalk")
# The job went to someone else, timed out, was reassigned or cancelled: the card this person
# holds for it is closed, with the state in front where the notice text does not say it.
CLOSING_KINDS = {"offer_taken": "", "expired": "", "reassigned": "已改派", "cancelled": "已取消", "merged": "已并单"}
# DingTalk does not publish its robot rate limits; a flow-controlled recipient waits this long.
PACING = timedelta(seconds=60)
GROUP = "group:"
SEND_LINK = "dtmd://dingtalkclient/sendMessage?content="
MAX_CARD_BUTTONS = 5  # sampleActionCard2..5 hold 2 to 5 buttons
MENTION = "@机器人"


@dataclass(frozen=True)
class Address:
    user: str = ""
    group: str = ""
    proxy: bool = False      # a group standing in for someone else: no buttons, marked as a copy

    @classmethod
    def parse(cls, text: str) -> Address:
        if text.startswith(GROUP):
            conversation, tag, _ = text[len(GROUP):].partition("#")
            return cls(group=conversation, proxy=bool(tag))
        return cls(user=text)

    @property
    def key(self) -> str:
        """Where replies land; a proxy address shares its group's session webhook."""
        return GROUP + self.group if self.group else self.user


def group_address(conversation_id: str) -> str:
    return GROUP + conversation_id


def proxy_address(conversation_id: str, tag: str) -> str:
    return f"{GROUP}{conversation_id}#{tag}"


def send_link(command: str) -> str:
    return SEND_LINK + quote(command, safe="")


@dataclass(frozen=True)
class Rendered:
    webhook: dict[str, Any]        # body for a sessionWebhook
    msg_key: str                   # OpenAPI robot template
    msg_param: dict[str, Any]


def render(message: Outgoing, to: Address) -> Rendered:
    text = f"【业主通知】{message.text}" if to.proxy else message.text
    buttons = () if to.proxy else message.buttons
    if buttons and to.group:
        text, buttons = text + "\n\n" + reply_hint(buttons), ()
    if not buttons:
        return Rendered({"msgtype": "text", "text": {"content": text}}, "sampleText", {"content": text})
    title = _title(text)
    if len(buttons) > MAX_CARD_BUTTONS:
        markdown = _markdown(text) + "\n\n" + "  \n".join(f"[{button_label(b)}]({send_link(b)})" for b in buttons)
        return Rendered({"msgtype": "markdown", "markdown": {"title": title, "text": markdown}},
                        "sampleMarkdown", {"title": title, "text": markdown})
    return _action_card(title, _markdown(text), buttons)


def reply_hint(commands: tuple[str, ...]) -> str:
    """The choices as replies a group member types; the robot only hears what @-mentions it."""
    return "\n".join([f"请 {MENTION} 回复以下指令之一：", *(f"{MENTION} {c}" for c in commands)])


def _action_card(title: str, markdown: str, buttons: tuple[str, ...]) -> Rendered:
    links = [(button_label(b), send_link(b)) for b in buttons]
    webhook = {"msgtype": "actionCard", "actionCard": {
        "title": title, "text": markdown, "btnOrientation": "1" if len(links) <= 2 else "0",
        "btns": [{"title": label, "actionURL": url} for label, url in links]}}
    if len(links) == 1:
        param = {"title": title, "text": markdown, "singleTitle": links[0][0], "singleURL": links[0][1]}
        return Rendered(webhook, "sampleActionCard", param)
    param = {"title": title, "text": markdown}
    for n, (label, url) in enumerate(links, 1):
        param[f"actionTitle{n}"], param[f"actionURL{n}"] = label, url
    return Rendered(webhook, f"sampleActionCard{len(links)}", param)


def _title(text: str) -> str:
    """The line shown in the chat list and notifications."""
    return (text.strip().splitlines() or ["报修通知"])[0][:40]


def _markdown(text: str) -> str:
    # DingTalk markdown joins single newlines; two trailing spaces keep the lines apart.
    return "  \n".join(text.splitlines())


def file_message(attachment: Attachment, media_id: str) -> Rendered:
    """A picture shows in the chat (sampleImageMsg takes a media_id as its photoURL); a file as a file card."""
    if attachment.kind == "image":
        return Rendered({}, "sampleImageMsg", {"photoURL": media_id})
    suffix = attachment.filename.rpartition(".")[2] or "pdf"
    return Rendered({}, "sampleFile", {"mediaId": media_id, "fileName": attachment.filename, "fileType": suffix})


class Cards(Protocol):
    """Interactive cards (`cards.CardBook`), when a template is configured."""

    def deliver(self, address: str, message: Outgoing) -> None: ...
    def close_for(self, ticket_number: str, address: str, status: str) -> None: ...


class ChartCards(Protocol):
    """Figures drawn as a native chart card (`chart_card.ChartCards`), when a chart template is configured."""

    def deliver(self, to: Address, message: Outgoing, figures: ChartFigures) -> None: ...


class DingtalkSender:
    name = "dingtalk"

    def __init__(self, desk: Desk, client: DingtalkClient, cards: Cards | None = None,
                 charts: ChartCards | None = None) -> None:
        self.desk, self.client, self.cards, self.charts = desk, client, cards, charts

    def send(self, message: Outgoing) -> None:
        try:
            self._send(message)
        except ApiError as e:
            # Robot messages have no idempotency key; a card's outTrackId makes its retry safe.
            unsure = e.unsure and not self._as_card(message)
            raise DeliveryError(str(e), retry=e.retry, retry_after=PACING if e.flow else None,
                                unsure=unsure) from None
        except (StoreUnavailable, SQLAlchemyError, httpx.HTTPError, OSError) as e:
            raise DeliveryError(f"dingtalk: {type(e).__name__}", retry=True) from None
        except DeliveryError:
            raise
        except Exception as e:  # a bug must not leave the row claimed nor stop the run
            log.exception("DingTalk send failed (%s)", type(e).__name__)
            raise DeliveryError(f"dingtalk: {type(e).__name__}", retry=True) from None

    def _send(self, message: Outgoing) -> None:
        to = Address.parse(message.to)
        if self.cards and message.ticket_number and message.kind in CLOSING_KINDS:
            label = CLOSING_KINDS[message.kind]
            status = f"{label}：{message.text}" if label and label not in message.text else message.text
            self.cards.close_for(message.ticket_number, message.to, status)
        if self._as_card(message):
            assert self.cards is not None
            self.cards.deliver(message.to, message)
            return
        if self.charts and message.chart is not None and not to.proxy:   # drawn by DingTalk, not a picture
            self.charts.deliver(to, message, message.chart)
            return
        if message.attachment is not None:
            self._with_file(to, message, message.attachment)
            return
        rendered = render(message, to)
        if not self._by_webhook(to, rendered):
            self._by_api(to, rendered)

    def _with_file(self, to: Address, message: Outgoing, attachment: Attachment) -> None:
        """Uploaded first (the likeliest failure, before anything is sent), then the text, then the file.

        A session webhook cannot carry an uploaded picture or file, so both go through the robot API."""
        media_id = self.client.upload(attachment.kind, attachment.filename, attachment.data, attachment.content_type)
        if message.text.strip():
            self._by_api(to, render(replace(message, buttons=()), to))
        self._by_api(to, file_message(attachment, media_id))

    def _as_card(self, message: Outgoing) -> bool:
        return bool(self.cards and message.buttons and not Address.parse(message.to).proxy)

    def _by_webhook(self, to: Address, rendered: Rendered) -> bool:
        url = session_webhook(self.desk, to.key)
        if url is None:
            return False
        if self.client.post_webhook(url, rendered.webhook):
            return True
        forget_webhook(self.desk, to.key)  # refused before its stated expiry: not worth a second try
        return False

    def _by_api(self, to: Address, rendered: Rendered) -> None:
        if to.group:
            self.client.group_send(to.group, rendered.msg_key, rendered.msg_param)
            return
        answer = self.client.batch_send([to.user], rendered.msg_key, rendered.msg_param)
        if to.user in (answer.get("flowControlledStaffIdList") or []):
            raise DeliveryError("flow-controlled by DingTalk", retry_after=PACING)
        if to.user in (answer.get("invalidStaffIdList") or []):
            raise DeliveryError("DingTalk: not a user this robot can reach", retry=False)
