"""DingTalk chat state: each chat's sessionWebhook while it lasts (a short-lived credential, kept in
the key-value store with its expiry)."""
from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.bootstrap import Desk
from storage import sealing
from storage.kv import Keys, StoreUnavailable

# A webhook this close to its expiry is not worth a try that would then fall back anyway.
MARGIN = timedelta(seconds=60)


def remember_webhook(desk: Desk, chat: str, url: str, expires_ms: int) -> None:
    """Only webhooks on DingTalk's own host are kept: the callback sign does not cover the body,
    so a replayed request must not be able to point our replies somewhere else."""
    if not _on_dingtalk(desk, url):
        return
    left = datetime.fromtimestamp(expires_ms / 1000, desk.clock().tzinfo) - desk.clock()
    if left <= MARGIN:
        return
    try:
        # The session URL is a credential: anyone holding it can post into the chat until it expires.
        desk.store.set(_webhook_key(chat), sealing.sealed_json({"url": url, "expires_ms": expires_ms}), ttl=left)
    except StoreUnavailable:
        pass  # replies then go through the OpenAPI


def session_webhook(desk: Desk, chat: str) -> str | None:
    try:
        raw = desk.store.get(_webhook_key(chat))
    except StoreUnavailable:
        return None
    entry = sealing.opened_json(raw)
    if not isinstance(entry, dict):
        return None
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
