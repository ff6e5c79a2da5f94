"""One message at a time per sender, across processes, and never an older one after a newer one.

Two messages from one person handled at once (a platform retry arriving while the next message
is being handled, in another web process) would both read the same dialog state and the last
write would win: a second report merged into the first one's draft, a 「确认」 that finds no
draft. The lock lives in the key-value store, so it holds across processes when that is Redis
(in-process otherwise, where there is only the one process), and it covers the dialog state's
write after the commit, which a database row lock would not.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from storage.kv import Keys, KeyValueStore, StoreUnavailable

log = logging.getLogger("baoxiu.chat")

HOLD = timedelta(seconds=30)     # longer than any handling; a crashed holder frees it after this
WAIT = 10.0                      # seconds to wait for the sender's previous message, then "try later"
POLL = 0.02


class SenderBusy(Exception):
    """The sender's previous message is still being handled: the platform should retry this one."""


@contextmanager
def one_at_a_time(store: KeyValueStore, channel: str, sender: str) -> Iterator[None]:
    key, token = Keys.lock(f"sender-{channel}-{sender}"), uuid.uuid4().hex
    try:
        _acquire(store, key, token)
    except StoreUnavailable:
        log.warning("key-value store unavailable; messages of one sender are not serialised")
        yield
        return
    try:
        yield
    finally:
        _release(store, key, token)


def _acquire(store: KeyValueStore, key: str, token: str) -> None:
    deadline = time.monotonic() + WAIT
    while not store.set_if_absent(key, token, ttl=HOLD):
        if time.monotonic() > deadline:
            raise SenderBusy(key)
        time.sleep(POLL)  # why: a short wait for the same person's previous message, not a test


def _release(store: KeyValueStore, key: str, token: str) -> None:
    try:
        store.delete_if(key, token)  # not a lock that expired and was taken by the next message
    except StoreUnavailable:
        log.warning("key-value store unavailable; a sender lock is left to expire")


def is_older(store: KeyValueStore, channel: str, sender: str, sent_at: datetime | None) -> bool:
    """True when a message from this sender sent later than `sent_at` has been handled already."""
    if sent_at is None:
        return False
    newest = store.get(Keys.latest(channel, sender))
    return newest is not None and sent_at.timestamp() < float(newest)


def mark_handled(store: KeyValueStore, channel: str, sender: str, sent_at: datetime | None,
                 ttl: timedelta) -> None:
    if sent_at is not None:
        store.set(Keys.latest(channel, sender), repr(sent_at.timestamp()), ttl=ttl)
