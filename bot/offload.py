"""Blocking work (a callback's handling: SQLite, the group commit's wait) run off the event loop.

A plain thread pool awaited through asyncio, in place of starlette's threadpool helper: that one
goes through a capacity limiter, task-local lookups and a cancel scope on every call, about a
quarter of the event loop's part of a WeCom callback. Nothing here is cancellable, as with that
helper: work once handed over finishes, and its commit stands.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# As many as the framework's helper allows (40): a callback's thread also waits for its commit
# to reach the disk, and callbacks in flight must not queue behind those waits.
_POOL = ThreadPoolExecutor(max_workers=40, thread_name_prefix="baoxiu-callback")


async def offload(fn: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_POOL, fn, *args)
