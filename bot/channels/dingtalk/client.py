"""A small client for DingTalk's OpenAPI (api.dingtalk.com): token, robot messages, cards, files.

dingtalk-sdk only speaks oapi.dingtalk.com and retries expired tokens without a bound, so the
robot and card calls go through here: the token is shared through the key-value store, refreshed
five minutes before it expires, and fetched again at most once when DingTalk calls it invalid.
Each process also holds the token it last read or fetched (bot/channels/held_tokens.py). JSON calls
and session-webhook replies go over kept-alive connections read by httptools
(bot/channels/http_direct.py); uploads and downloads through httpx.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from bot.bootstrap import Desk
from bot.channels.held_tokens import HeldTokens
from bot.channels.http_direct import AnswerLost, DirectPoster, Unsent, proxied
from storage import sealing
from storage.kv import Keys, StoreUnavailable

log = logging.getLogger("baoxiu.dingtalk")

CONNECT_TIMEOUT, READ_TIMEOUT = 5.0, 10.0
TIMEOUT = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
JSON_TYPE = {"Content-Type": "application/json"}
REFRESH_AHEAD = timedelta(minutes=5)
MAX_FILE = 20 * 1024 * 1024
OAPI_TOKEN_CODES = frozenset({33001, 40001, 40014, 42001})   # the old API's "token invalid or expired"
_AUTH_CODES = {"InvalidAuthentication", "Unauthorized", "invalidAccessToken",
               "Forbidden.AccessDenied.AccessTokenInvalid"}
# DingTalk reports throttling as codes rather than published numbers (PLATFORMS §3.3).
_FLOW_MARKERS = ("QpsLimit", "Throttling", "FlowControl", "send.too.fast", "too.many.people", "too.many.group")


class ApiError(Exception):
    """DingTalk said no. `retry`: a later attempt can succeed (throttling, outage, network);
    `flow`: throttled, so waiting is the whole remedy and the try is not a failure."""

    def __init__(self, message: str, retry: bool, code: str = "", flow: bool = False,
                 unsure: bool = False) -> None:
        super().__init__(message)
        self.retry = retry
        self.code = code
        self.flow = flow
        self.unsure = unsure   # written, answer lost: DingTalk may have done it


class _AuthError(ApiError):
    pass


class DingtalkClient:
    def __init__(self, desk: Desk, http: httpx.Client | None = None) -> None:
        s = desk.settings.dingtalk
        self.desk = desk
        self.base = s.api_base_url.rstrip("/")
        self.oapi = s.oapi_base_url.rstrip("/")
        self.app_key, self._secret, self.robot_code = s.app_key, s.app_secret, s.robot_code
        self.http = http or httpx.Client(timeout=TIMEOUT)
        # A client handed in (or a proxy in the environment) carries every call, as it did before.
        self.direct = DirectPoster(CONNECT_TIMEOUT, READ_TIMEOUT) if http is None and not proxied() else None
        self._fetching = threading.Lock()
        self._held = HeldTokens(REFRESH_AHEAD.total_seconds())

    def close(self) -> None:
        self.http.close()
        if self.direct is not None:
            self.direct.close()

    def checks(self, stream: bool) -> list[tuple[str, bool, str]]:
        """(what, works, detail) for the token, the robot code and, for Stream, the gateway.

        Each call is harmless: a token, a query of the robot's shortcuts (it names the robot code,
        so DingTalk says whether the code is this app's), a gateway ticket that is never used."""
        results = [self._try("access token", lambda: f"app {self.app_key}, {len(self.token(fresh=True))} characters")]
        if results[0][1]:
            results.append(self._try("robot code", self._check_robot))
        if stream:
            results.append(self._try("stream gateway", self._check_gateway))
        return results

    def _try(self, what: str, probe: Callable[[], str]) -> tuple[str, bool, str]:
        try:
            return what, True, probe()
        except ApiError as e:
            return what, False, str(e)

    def _check_robot(self) -> str:
        self.call("POST", "/v1.0/robot/plugins/query", {"robotCode": self.robot_code})
        return f"robot {self.robot_code}"

    def _check_gateway(self) -> str:
        answer = self._request("POST", "/v1.0/gateway/connections/open", {
            "clientId": self.app_key, "clientSecret": self._secret, "ua": "baoxiu/check", "localIp": "",
            "subscriptions": [{"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"}]})
        if not isinstance(answer.get("endpoint"), str):
            raise ApiError("connections/open answered without an endpoint", retry=True)
        return "connections/open answered with an endpoint"

    # --- access token -------------------------------------------------------------

    def token(self, fresh: bool = False) -> str:
        now = self.desk.clock()
        if not fresh:
            cached = self._cached(now)
            if cached:
                return cached
        with self._fetching:  # one fetch per process at a time; the others reuse its result
            cached = None if fresh else self._cached(now)
            return cached or self._fetch(now)

    def _cached(self, now: datetime) -> str | None:
        held = self._held.get(self._token_key(), now.timestamp())
        if held is not None:
            return held
        try:
            raw = self.desk.store.get(self._token_key())
        except StoreUnavailable:
            return None
        entry = sealing.opened_json(raw)
        if not isinstance(entry, dict):
            return None
        if now.timestamp() >= entry["expires"] - REFRESH_AHEAD.total_seconds():
            return None
        self._held.keep(self._token_key(), str(entry["token"]), float(entry["expires"]))
        return str(entry["token"])

    def _fetch(self, now: datetime) -> str:
        body = self._request("POST", "/v1.0/oauth2/accessToken", {"appKey": self.app_key, "appSecret": self._secret})
        token, expire_in = body.get("accessToken"), body.get("expireIn")
        if not isinstance(token, str) or not isinstance(expire_in, int) or expire_in <= 0:
            raise ApiError("accessToken answer without a token", retry=True)
        entry = sealing.sealed_json({"token": token, "expires": now.timestamp() + expire_in})
        try:
            self.desk.store.set(self._token_key(), entry, ttl=timedelta(seconds=expire_in))
        except StoreUnavailable:
            log.warning("key-value store unavailable; DingTalk token not shared")
        self._held.keep(self._token_key(), token, now.timestamp() + expire_in)
        return token

    def _token_key(self) -> str:
        return Keys.token("dingtalk", self.app_key)

    # --- calls ----------------------------------------------------------------------

    def call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """One API call with the token; a refused token is dropped and the call tried once more
        at once with a new one (a second refusal is the caller's, for the outbox's backoff)."""
        token = self.token()
        try:
            return self._request(method, path, body, token)
        except _AuthError:
            log.info("DingTalk refused the access token; fetching a new one")
            self._drop(token)
            return self._request(method, path, body, self.token())

    def _drop(self, refused: str) -> None:
        """Forget the refused token, unless another process has already put a newer one there."""
        self._held.drop(self._token_key(), refused)
        try:
            raw = self.desk.store.get(self._token_key())
            cached = sealing.opened_json(raw)
            if isinstance(cached, dict) and cached.get("token") == refused:
                self.desk.store.delete(self._token_key())
        except StoreUnavailable:
            pass   # then token() finds nothing shared and fetches

    def batch_send(self, user_ids: list[str], msg_key: str, msg_param: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", "/v1.0/robot/oToMessages/batchSend", {
            "robotCode": self.robot_code, "userIds": user_ids, "msgKey": msg_key,
            "msgParam": json.dumps(msg_param, ensure_ascii=False)})

    def group_send(self, conversation_id: str, msg_key: str, msg_param: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", "/v1.0/robot/groupMessages/send", {
            "robotCode": self.robot_code, "openConversationId": conversation_id, "msgKey": msg_key,
            "msgParam": json.dumps(msg_param, ensure_ascii=False)})

    def post_webhook(self, url: str, body: dict[str, Any]) -> bool:
        """A reply through a sessionWebhook; False when it is no longer taken (then use the API)."""
        if self.direct is not None:
            return self._post_webhook_direct(self.direct, url, body)
        try:
            response = self.http.post(url, json=body)
            answer = response.json()
        except (httpx.ConnectError, httpx.ConnectTimeout, ValueError):
            return False
        except httpx.HTTPError as e:  # it may have arrived: falling back to the API could say it twice
            raise ApiError(f"sessionWebhook: {type(e).__name__}", retry=True, unsure=True) from None
        return response.status_code == 200 and isinstance(answer, dict) and answer.get("errcode") == 0

    def _post_webhook_direct(self, direct: DirectPoster, url: str, body: dict[str, Any]) -> bool:
        try:
            response = direct.request("POST", url, _json_bytes(body), JSON_TYPE)
            answer = json.loads(response.body)
        except (Unsent, ValueError):
            return False
        except AnswerLost as e:  # it may have arrived: falling back to the API could say it twice
            raise ApiError(f"sessionWebhook: {e.name}", retry=True, unsure=True) from None
        return response.status == 200 and isinstance(answer, dict) and answer.get("errcode") == 0

    def upload(self, kind: str, filename: str, data: bytes, content_type: str) -> str:
        """oapi media/upload (the new API has no robot upload): the media_id a robot message can show."""
        try:
            return self._upload(self.token(), kind, filename, data, content_type)
        except _AuthError:
            return self._upload(self.token(fresh=True), kind, filename, data, content_type)

    def _upload(self, token: str, kind: str, filename: str, data: bytes, content_type: str) -> str:
        try:
            response = self.http.post(f"{self.oapi}/media/upload", params={"access_token": token, "type": kind},
                                      files={"media": (filename, data, content_type)})
            answer = response.json()
        except httpx.HTTPError as e:
            raise ApiError(f"media/upload: {type(e).__name__}", retry=True) from None
        except ValueError:
            raise ApiError(f"media/upload: HTTP {response.status_code}, not JSON", retry=True) from None
        code = answer.get("errcode") if isinstance(answer, dict) else None
        if code in OAPI_TOKEN_CODES:
            raise _AuthError(f"media/upload: errcode {code}", retry=True, code=str(code))
        if code != 0 or not isinstance(answer.get("media_id"), str):
            raise ApiError(f"media/upload: errcode {code}", retry=code == -1, code=str(code))
        return str(answer["media_id"])

    def download(self, download_code: str) -> bytes:
        """The bytes of a picture a person sent, by the downloadCode of their message."""
        answer = self.call("POST", "/v1.0/robot/messageFiles/download",
                           {"downloadCode": download_code, "robotCode": self.robot_code})
        url = answer.get("downloadUrl")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ApiError("download answer without a URL", retry=False)
        with self.http.stream("GET", url) as response:
            if response.status_code != 200:
                raise ApiError(f"file download HTTP {response.status_code}", retry=True)
            data = b""
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_FILE:
                    raise ApiError("file larger than 20 MB", retry=False)
        return data

    def _request(self, method: str, path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        headers = {"x-acs-dingtalk-access-token": token} if token else {}
        status, content = self._exchange(method, path, body, headers)
        try:
            answer = json.loads(content)
        except ValueError:
            answer = None
        if status == 401:   # the token refused, whatever the body says (or if it is none)
            raise _error(path, 401, answer if isinstance(answer, dict) else {})
        if not isinstance(answer, dict):
            raise ApiError(f"{path}: HTTP {status}, not JSON", retry=status >= 500)
        if status >= 300:
            raise _error(path, status, answer)
        return answer

    def _exchange(self, method: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, bytes]:
        """(status, body) of one call; not written: retry; written, answer lost: unsure."""
        if self.direct is not None:
            try:
                answer = self.direct.request(method, self.base + path, _json_bytes(body), {**JSON_TYPE, **headers})
            except Unsent as e:
                raise ApiError(f"{path}: {e.name}", retry=True) from None
            except AnswerLost as e:
                raise ApiError(f"{path}: {e.name}", retry=True, unsure=True) from None
            return answer.status, answer.body
        try:
            response = self.http.request(method, self.base + path, json=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            raise ApiError(f"{path}: {type(e).__name__}", retry=True) from None
        except httpx.HTTPError as e:
            raise ApiError(f"{path}: {type(e).__name__}", retry=True, unsure=True) from None
        return response.status_code, response.content


def _json_bytes(body: dict[str, Any]) -> bytes:
    """The bytes httpx's `json=` makes, so a platform sees the same body either way."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _error(path: str, status: int, answer: dict[str, Any]) -> ApiError:
    code = str(answer.get("code") or answer.get("errcode") or "")
    text = f"{path}: HTTP {status} {code}".strip()
    if status == 401 or code in _AUTH_CODES:
        return _AuthError(text, retry=True, code=code)
    if status == 429 or any(marker in code for marker in _FLOW_MARKERS):
        return ApiError(text, retry=True, code=code, flow=True)
    return ApiError(text, retry=status >= 500, code=code)
