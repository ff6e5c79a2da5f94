"""A small WeCom API client: the calls wechatpy 1.8.18 lacks (template cards, card update, kf).

Not wechatpy's client: its token retry has no bound (PLATFORMS.md §1.2). Here the token is
cached in the key-value store (shared by every process), refreshed before expiry, and
refetched once on 40014/42001/40001 -- then the call fails and the outbox decides. Each process
also holds the token it last read or fetched (bot/channels/held_tokens.py).

JSON calls (every message sent) go over kept-alive connections read by httptools
(bot/channels/http_direct.py); uploads, downloads and token fetches go through httpx.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from bot.channels.held_tokens import HeldTokens
from bot.channels.http_direct import AnswerLost, DirectPoster, Unsent, proxied
from bot.channels.wecom.settings import WecomSettings
from storage import sealing
from storage.kv import Keys, KeyValueStore, StoreUnavailable

log = logging.getLogger("baoxiu.wecom")

TOKEN_CODES = frozenset({40014, 42001, 40001})
# -1 system busy, 45009 frequency, 45033 concurrency; negative codes below are ours (network).
RETRY_CODES = frozenset({-1, 45009, 45033})
NETWORK, BAD_ANSWER = -2, -3
REFRESH_MARGIN = 300  # seconds before expiry a cached token is replaced
CONNECT_TIMEOUT, READ_TIMEOUT = 3.0, 5.0
TIMEOUT = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


class ApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message[:120]}")
        self.code = code

    @property
    def retryable(self) -> bool:
        # A token that fails twice in a row may be a rotated secret: later tries can work.
        return self.code in RETRY_CODES or self.code in TOKEN_CODES or self.code in (NETWORK, BAD_ANSWER)


class WecomApi:
    """Two token holders: "app" (the self-built app's secret) and "kf" (微信客服's, or the app's)."""

    def __init__(self, settings: WecomSettings, store: KeyValueStore, clock: Callable[[], datetime],
                 http: httpx.Client | None = None) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.base_url = settings.api_base_url.rstrip("/")
        self.http = http or httpx.Client(base_url=self.base_url, timeout=TIMEOUT)
        # A client handed in (or a proxy in the environment) carries every call, as it did before.
        self.direct = DirectPoster(CONNECT_TIMEOUT, READ_TIMEOUT) if http is None and not proxied() else None
        self._held = HeldTokens(REFRESH_MARGIN)

    def close(self) -> None:
        self.http.close()
        if self.direct is not None:
            self.direct.close()

    def post(self, app: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._with_token(app, lambda token: self._json("POST", path, token, body=body))

    def get(self, app: str, path: str, params: dict[str, str]) -> dict[str, Any]:
        return self._with_token(app, lambda token: _decode(self._request("GET", path, token, params=params)))

    def media(self, app: str, media_id: str) -> bytes:
        """media/get answers the file itself, or JSON when it fails."""
        def fetch(token: str) -> dict[str, Any] | bytes:
            response = self._request("GET", "/cgi-bin/media/get", token, params={"media_id": media_id})
            if "json" in response.headers.get("content-type", "") or response.content[:1] == b"{":
                return _decode(response)
            return response.content
        return self._with_token(app, fetch)

    def upload(self, app: str, kind: str, filename: str, data: bytes, content_type: str) -> str:
        def send(token: str) -> dict[str, Any]:
            files = {"media": (filename, data, content_type)}
            return _decode(self._request("POST", "/cgi-bin/media/upload", token, params={"type": kind},
                                         files=files))
        media_id = self._with_token(app, send).get("media_id")
        if not media_id:   # an answer without one: the file is not there to send
            raise ApiError(BAD_ANSWER, "no media_id")
        return str(media_id)

    def token(self, app: str, fresh: bool = False) -> str:
        key = self._token_key(app)
        now = self.clock().timestamp()
        if not fresh:
            held = self._held.get(key, now)
            if held is not None:
                return held
            cached = _read_cached(self.store, key)
            if cached and cached["expires_at"] - now > REFRESH_MARGIN:
                self._held.keep(key, str(cached["token"]), float(cached["expires_at"]))
                return str(cached["token"])
        data = _decode(self._request("GET", "/cgi-bin/gettoken", None, params={
            "corpid": self.settings.corp_id, "corpsecret": self._secret(app)}))
        _raise_for_code(data)
        expires_in = int(data.get("expires_in", 7200))
        _write_cached(self.store, key, {"token": data["access_token"], "expires_at": now + expires_in}, expires_in)
        self._held.keep(key, str(data["access_token"]), now + expires_in)
        return str(data["access_token"])

    def _token_key(self, app: str) -> str:
        return Keys.token("wecom", f"{self.settings.corp_id}-{app}")

    def _with_token(self, app: str, call: Callable[[str], Any]) -> Any:
        """A refused token (40014/42001/40001) is dropped and the call made once more at once with a
        new one; a second refusal stands, for the outbox's backoff."""
        for attempt in (0, 1):
            token = self.token(app)
            result = call(token)
            if isinstance(result, bytes):
                return result
            code = int(result.get("errcode", 0) or 0)
            if code in TOKEN_CODES and attempt == 0:
                log.info("wecom %s token refused (%d); fetching a new one once", app, code)
                self._drop(app, token)
                continue
            _raise_for_code(result)
            return result
        raise AssertionError("unreachable")

    def _drop(self, app: str, refused: str) -> None:
        """Forget the refused token, unless another process has already put a newer one there."""
        key = self._token_key(app)
        self._held.drop(key, refused)
        cached = _read_cached(self.store, key)
        if cached and cached["token"] == refused:
            try:
                self.store.delete(key)
            except StoreUnavailable:
                pass   # nothing shared to forget; the next token() fetches

    def _json(self, method: str, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.direct is None:
            return _decode(self._request(method, path, token, json_body=body))
        url = f"{self.base_url}{path}?access_token={quote(token, safe='')}"
        try:
            answer = self.direct.request(method, url, json.dumps(body, ensure_ascii=False).encode(), JSON_HEADERS)
        except Unsent as e:
            raise ApiError(NETWORK, f"network, not sent: {e.name}") from None
        except AnswerLost as e:   # as below: every send carries WeCom's own idempotency
            raise ApiError(NETWORK, f"network, answer lost: {e.name}") from None
        if answer.status != 200:
            raise ApiError(NETWORK, f"HTTP {answer.status}")
        return _decoded(answer.body)

    def _request(self, method: str, path: str, token: str | None, params: dict[str, str] | None = None,
                 json_body: dict[str, Any] | None = None, files: Any = None) -> httpx.Response:
        query = dict(params or {})
        if token is not None:
            query["access_token"] = token
        content = json.dumps(json_body, ensure_ascii=False).encode() if json_body is not None else None
        headers = {"Content-Type": "application/json; charset=utf-8"} if content is not None else None
        try:
            response = self.http.request(method, path, params=query, content=content, files=files,
                                         headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            raise ApiError(NETWORK, f"network, not sent: {type(e).__name__}") from None
        except httpx.HTTPError as e:
            # Written, answer lost: it may have arrived. Every send we make carries WeCom's own
            # idempotency (duplicate check, task_id, kf msgid), so retrying it is still safe.
            raise ApiError(NETWORK, f"network, answer lost: {type(e).__name__}") from None
        if response.status_code != 200:
            raise ApiError(NETWORK, f"HTTP {response.status_code}")
        return response

    def _secret(self, app: str) -> str:
        return self.settings.kf_secret or self.settings.secret if app == "kf" else self.settings.secret


def _decode(response: httpx.Response) -> dict[str, Any]:
    return _decoded(response.content)


def _decoded(content: bytes) -> dict[str, Any]:
    try:
        data = json.loads(content)
    except ValueError:
        raise ApiError(BAD_ANSWER, "not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(BAD_ANSWER, "not an object")
    return data


def _raise_for_code(data: dict[str, Any]) -> None:
    code = int(data.get("errcode", 0) or 0)
    if code != 0:
        raise ApiError(code, str(data.get("errmsg", "")))


def _read_cached(store: KeyValueStore, key: str) -> dict[str, Any] | None:
    try:
        raw = store.get(key)
    except StoreUnavailable:
        return None  # fetch a token rather than fail the send
    cached = sealing.opened_json(raw)
    return cached if isinstance(cached, dict) else None


def _write_cached(store: KeyValueStore, key: str, value: dict[str, Any], seconds: int) -> None:
    try:
        store.set(key, sealing.sealed_json(value), ttl=timedelta(seconds=max(seconds, 1)))
    except StoreUnavailable:
        log.warning("key-value store unavailable; the wecom token is not shared")


def check_credentials(api: WecomApi, kf: bool) -> list[tuple[str, bool, str]]:
    """(holder, works, detail) for `baoxiu wecom check`; never prints a token or secret."""
    results = []
    for app in ("app", "kf") if kf else ("app",):
        try:
            api.token(app, fresh=True)
            results.append((app, True, "token OK"))
        except ApiError as e:
            results.append((app, False, str(e)))
    return results
