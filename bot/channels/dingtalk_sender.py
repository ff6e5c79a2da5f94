"""The outbound half of DingTalk: a chat's sessionWebhook while it lasts, the robot OpenAPI after.

Interactive cards replace ActionCards for messages with buttons when a template is configured.
DingTalk errors become DeliveryError: throttled or flow-controlled recipients wait (pacing, not a
failed attempt), outages are retried with backoff, recipients the robot can never reach go to the
dead letters. Nothing raised here escapes as anything but a DeliveryError, so one bad message
never stops the rest of a delivery run.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy.exc import SQLAlchemyError

from bot.bootstrap import Desk
from bot.channels.base import DeliveryError, Outgoing
from bot.channels.dingtalk_cards import CardBook
from bot.channels.dingtalk_client import ApiError, DingtalkClient
from bot.channels.dingtalk_render import Address, Rendered, render
from storage.kv import Keys, StoreUnavailable

log = logging.getLogger("baoxiu.dingtalk")
# The job went to someone else, timed out, was reassigned or cancelled: the card this person
# holds for it is closed, with the state in front where the notice text does not say it.
CLOSING_KINDS = {"offer_taken": "", "expired": "", "reassigned": "已改派", "cancelled": "已取消"}
# DingTalk does not publish its robot rate limits; a flow-controlled recipient waits this long.
PACING = timedelta(seconds=60)
# A webhook this close to its expiry is not worth a try that would then fall back anyway.
MARGIN = timedelta(seconds=60)


class DingtalkSender:
    name = "dingtalk"

    def __init__(self, desk: Desk, client: DingtalkClient, cards: CardBook | None = None) -> None:
        self.desk, self.client, self.cards = desk, client, cards

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
        rendered = render(message, to)
        if not self._by_webhook(to, rendered):
            self._by_api(to, rendered)

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


# --- session webhooks, kept per chat with their expiry ------------------------------------


def remember_webhook(desk: Desk, chat: str, url: str, expires_ms: int) -> None:
    """Only webhooks on DingTalk's own host are kept: the callback sign does not cover the body,
    so a replayed request must not be able to point our replies somewhere else."""
    if not _on_dingtalk(desk, url):
        return
    left = datetime.fromtimestamp(expires_ms / 1000, desk.clock().tzinfo) - desk.clock()
    if left <= MARGIN:
        return
    try:
        desk.store.set(_webhook_key(chat), json.dumps({"url": url, "expires_ms": expires_ms}), ttl=left)
    except StoreUnavailable:
        pass  # replies then go through the OpenAPI


def session_webhook(desk: Desk, chat: str) -> str | None:
    try:
        raw = desk.store.get(_webhook_key(chat))
    except StoreUnavailable:
        return None
    if not raw:
        return None
    entry = json.loads(raw)
    if desk.clock().timestamp() * 1000 >= entry["expires_ms"] - MARGIN.total_seconds() * 1000:
        return None
    return str(entry["url"])


def forget_webhook(desk: Desk, chat: str) -> None:
    try:
        desk.store.delete(_webhook_key(chat))
    except StoreUnavailable:
        pass


def _on_dingtalk(desk: Desk, url: str) -> bool:
    expected = urlsplit(desk.settings.dingtalk.oapi_base_url)
    got = urlsplit(url)
    return (got.scheme, got.netloc) == (expected.scheme, expected.netloc)


def _webhook_key(chat: str) -> str:
    # Keys has no webhook key yet; a sessionWebhook is a short-lived credential, kept like a token.
    return Keys.token("dingtalk-webhook", chat)
