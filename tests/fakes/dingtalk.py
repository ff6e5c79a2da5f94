"""A faithful local DingTalk (PLATFORMS.md §3, §5): its API on 127.0.0.1, its callbacks into our app.

`FakeDingtalk` serves /v1.0/oauth2/accessToken, robot/oToMessages/batchSend (≤20 userIds,
flow control on request), robot/groupMessages/send, the card endpoints, messageFiles/download,
expiring sessionWebhook URLs and the Stream gateway (see dingtalk_gateway). It records every
request and, normalised, every message that reached a chat (`sent`). It also builds what
DingTalk sends us: robot callbacks signed per §3.1 and event envelopes encrypted with
dingtalk-sdk's DingTalkCrypto (tied to the published vectors by the unit tests).
Time is the test's clock. Codes marked (unverified) are our best reading of the docs.
"""
from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from dingtalk.crypto import DingTalkCrypto

from bot.channels.dingtalk.crypto import robot_sign
from bot.channels.dingtalk.settings import DingtalkSettings
from tests.fakes.dingtalk_gateway import FakeGateway
from tests.fakes.dingtalk_wire import Sent, from_api, from_webhook, handler

APP_KEY, APP_SECRET, ROBOT_CODE = "dingfakeappkey0001", "fake-app-secret-for-tests", "dingfakerobot0001"
CORP_ID, EVENT_TOKEN = "dingfakecorp0001", "eventtoken"
AES_KEY = "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij"
TEMPLATE = "fake-template.schema"
CHART_TEMPLATE = "fake-chart-template.schema"
CHART_VARIABLES = {"trend", "regions", "products", "technicians"}
CHART_KINDS = {"lineChart", "histogram", "pieChart"}   # the chart protocol's types the fake knows
SESSION_EXPIRED = 300001  # (unverified) what an expired sessionWebhook answers
ROBOT_MENTION = "@报修机器人"  # how the fake robot is @-mentioned in a group
MSG_KEYS = {"sampleText": ("content",), "sampleMarkdown": ("title", "text"),
            "sampleActionCard": ("title", "text", "singleTitle", "singleURL"),
            "sampleImageMsg": ("photoURL",), "sampleFile": ("mediaId", "fileName", "fileType"),
            **{f"sampleActionCard{n}": ("title", "text", *(f"{k}{i}" for i in range(1, n + 1)
                                                           for k in ("actionTitle", "actionURL")))
               for n in range(2, 6)}}


class FakeDingtalk:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.sent: list[Sent] = []
        self.tokens: dict[str, datetime] = {}
        self.token_fetches = 0
        self.sessions: dict[str, tuple[str, datetime]] = {}
        self.flow_control: set[str] = set()         # these users are flow-controlled once each
        self.flow_control_groups: set[str] = set()  # these conversations refuse one send each
        self.lose_answer: set[str] = set()          # these paths do their work once, then hang up
        self.gateway_failures = 0                   # connections/open answers 503 this many times
        self.bare_401 = False                       # a refused token gets HTTP 401 with no JSON
        self.cards: dict[str, dict[str, Any]] = {}   # outTrackId -> {space, params, updates}
        self.files: dict[str, bytes] = {}
        self.media: dict[str, dict[str, Any]] = {}   # oapi media/upload: media_id -> type, filename, data
        self.gateway = FakeGateway(APP_KEY)
        self._counter = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler(self))
        # A short poll keeps stop() quick; the default would add half a second to every test.
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.gateway.stop()
        self.server.shutdown()
        self.server.server_close()

    def configure(self, settings: DingtalkSettings, mode: str = "http", cards: bool = False,
                  charts: bool = False) -> None:
        settings.enabled, settings.mode = True, mode  # type: ignore[assignment]
        settings.app_key, settings.app_secret, settings.robot_code = APP_KEY, APP_SECRET, ROBOT_CODE
        settings.corp_id, settings.event_token, settings.event_aes_key = CORP_ID, EVENT_TOKEN, AES_KEY
        settings.card_template_id = TEMPLATE if cards else ""
        settings.chart_card_template_id = CHART_TEMPLATE if charts else ""
        settings.api_base_url = settings.oapi_base_url = self.url

    def next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:06d}"

    def expire_tokens(self) -> None:
        """DingTalk may invalidate a token before its stated expiry."""
        self.tokens.clear()

    def revoke_tokens(self, bare: bool = False) -> None:
        """Every token issued so far stops working now; `bare`: the 401 comes without a JSON body,
        as a gateway in front of the API answers."""
        self.tokens.clear()
        self.bare_401 = bare

    def to(self, chat: str) -> list[Sent]:
        return [s for s in self.sent if s.chat == chat]

    # --- what DingTalk sends us ------------------------------------------------------

    def message(self, text: str | None = None, sender: str = "053612200117", group: str | None = None,
                msg_id: str | None = None, picture: str | None = None,
                rich: list[dict[str, str]] | None = None, webhook_minutes: int = 90,
                session: str | None = None) -> dict[str, Any]:
        """A robot callback body as in the receive-message doc; group text starts with a space.

        Each carries a new sessionWebhook, unless `session` names one handed out before.
        """
        now = self.clock()
        chat = f"group:{group}" if group else sender
        if session is None:
            session = uuid.uuid4().hex
            self.sessions[session] = (chat, now + timedelta(minutes=webhook_minutes))
        body: dict[str, Any] = {
            "msgId": msg_id or self.next_id("msg"), "createAt": int(now.timestamp() * 1000),
            "conversationType": "2" if group else "1", "conversationId": group or f"cidsingle{sender}",
            "senderId": f"$:LWCP_v1:${sender}", "senderStaffId": sender, "senderNick": "某人",
            "senderCorpId": CORP_ID, "chatbotCorpId": CORP_ID, "chatbotUserId": "$:LWCP_v1:$robot",
            "robotCode": ROBOT_CODE, "isAdmin": False, "isInAtList": bool(group),
            "sessionWebhook": f"{self.url}/robot/sendBySession?session={session}",
            "sessionWebhookExpiredTime": int((now + timedelta(minutes=webhook_minutes)).timestamp() * 1000)}
        if group:
            body["conversationTitle"] = "报修服务群"
        if picture is not None:
            body.update(msgtype="picture", content={"downloadCode": picture})
        elif rich is not None:
            body.update(msgtype="richText", content={"richText": rich})
        else:
            body.update(msgtype="text", text={"content": (" " if group else "") + (text or "")})
        return body

    def headers(self, at: datetime | None = None, secret: str = APP_SECRET) -> dict[str, str]:
        timestamp = str(int((at or self.clock()).timestamp() * 1000))
        return {"timestamp": timestamp, "sign": robot_sign(timestamp, secret)}

    def tap(self, sent: Sent, title: str, by: str | None = None) -> dict[str, Any] | None:
        """What the client sends when someone presses an ActionCard button: the link's text, as them.

        In a group the text is posted as an ordinary message without an @ of the robot, and
        DingTalk only calls a robot back for messages that @ it: then there is no callback (None)."""
        url = next(u for t, u in sent.buttons if t == title)
        assert url.startswith("dtmd://dingtalkclient/sendMessage?content="), url
        text = unquote(url.split("content=", 1)[1])
        if not sent.chat.startswith("group:"):
            return self.message(text, sender=by or sent.chat)
        if not text.startswith(ROBOT_MENTION):
            return None
        return self.message(text.removeprefix(ROBOT_MENTION).strip(), sender=by or sent.chat,
                            group=sent.chat.removeprefix("group:"))

    def event(self, event: dict[str, Any], owner_key: str = APP_KEY,
              token: str = EVENT_TOKEN) -> tuple[dict[str, str], dict[str, str]]:
        """(query, body) of an event push, encrypted the way DingTalk does it."""
        crypto = DingTalkCrypto(token, AES_KEY, owner_key)
        sealed = crypto.encrypt_message(json.dumps(event), timestamp=str(int(self.clock().timestamp() * 1000)))
        query = {"msg_signature": sealed["msg_signature"], "timestamp": sealed["timeStamp"], "nonce": sealed["nonce"]}
        return query, {"encrypt": sealed["encrypt"]}

    @staticmethod
    def event_answer(answer: dict[str, Any], owner_key: str = APP_KEY) -> str:
        """The plaintext of our encrypted reply, checked the way DingTalk checks it."""
        crypto = DingTalkCrypto(EVENT_TOKEN, AES_KEY, owner_key)
        return str(crypto.decrypt_encrypt_str(answer["msg_signature"], answer["timeStamp"], answer["nonce"],
                                              answer["encrypt"]))

    def card_click(self, out_track_id: str, user_id: str, command: str) -> dict[str, Any]:
        content = {"cardPrivateData": {"actionIds": ["action"], "params": {"command": command}}}
        return {"outTrackId": out_track_id, "corpId": CORP_ID, "userId": user_id, "type": "actionCallback",
                "content": json.dumps(content, ensure_ascii=False), "extension": "{}",
                "spaceType": "IM_ROBOT", "spaceId": user_id}

    # --- the API ---------------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict[str, str], body: Any, token: str) -> tuple[int, Any]:
        self.requests.append((method, path, body if isinstance(body, dict) else {}))
        if path == "/v1.0/oauth2/accessToken":
            return self._token(body)
        if path == "/robot/sendBySession":
            return self._session(query.get("session", ""), body)
        if path == "/v1.0/gateway/connections/open":
            if self.gateway_failures > 0:
                self.gateway_failures -= 1
                return 503, {"code": "ServiceUnavailable", "message": "gateway busy"}
            if body.get("clientId") != APP_KEY or body.get("clientSecret") != APP_SECRET:
                return 401, {"code": "InvalidAuthentication", "message": "bad client credentials"}
            return 200, self.gateway.open(body.get("subscriptions") or [])
        if path == "/media/upload":
            return self._upload(query, body)
        if path.startswith("/files/"):
            return (200, self.files[path[7:]]) if path[7:] in self.files else (404, {})
        if token not in self.tokens or self.tokens[token] <= self.clock():
            return 401, b"Unauthorized" if self.bare_401 else {"code": "InvalidAuthentication",
                                                               "message": "不合法的access_token"}
        route = {("POST", "/v1.0/robot/oToMessages/batchSend"): self._batch,
                 ("POST", "/v1.0/robot/groupMessages/send"): self._group,
                 ("POST", "/v1.0/card/instances/createAndDeliver"): self._create_card,
                 ("PUT", "/v1.0/card/instances"): self._update_card,
                 ("POST", "/v1.0/robot/messageFiles/download"): self._download,
                 ("POST", "/v1.0/robot/plugins/query"): self._plugins}.get((method, path))
        return route(body) if route else (404, {"code": "NotFound", "message": path})

    def _token(self, body: dict[str, Any]) -> tuple[int, Any]:
        if body.get("appKey") != APP_KEY or body.get("appSecret") != APP_SECRET:
            return 400, {"code": "invalidClientIdOrSecret", "message": "无效的clientId或者clientSecret"}
        self.token_fetches += 1
        token = self.next_id("tok")
        self.tokens[token] = self.clock() + timedelta(seconds=7200)
        return 200, {"accessToken": token, "expireIn": 7200}

    def _session(self, session: str, body: dict[str, Any]) -> tuple[int, Any]:
        chat, expires = self.sessions.get(session, ("", self.clock()))
        if not chat or expires <= self.clock():
            return 200, {"errcode": SESSION_EXPIRED, "errmsg": "session webhook expired"}
        self.sent.append(from_webhook(chat, body))
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _robot_message(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        if body.get("robotCode") != ROBOT_CODE or body.get("msgKey") not in MSG_KEYS:
            return None
        param = json.loads(body.get("msgParam") or "null")
        if not isinstance(param, dict) or any(k not in param for k in MSG_KEYS[body["msgKey"]]):
            return None
        media = param.get("photoURL") if body["msgKey"] == "sampleImageMsg" else param.get("mediaId")
        if body["msgKey"] in ("sampleImageMsg", "sampleFile") and media not in self.media:
            return None   # a picture or file must be one media/upload issued
        return body["msgKey"], param

    def _upload(self, query: dict[str, str], body: Any) -> tuple[int, Any]:
        """oapi media/upload: multipart field `media`, ?access_token=&type=image|file|voice; 20 MB."""
        expires = self.tokens.get(query.get("access_token", ""))
        if expires is None or expires <= self.clock():
            return 200, {"errcode": 40014, "errmsg": "不合法的access_token"}
        if query.get("type") not in ("image", "file", "voice") or not isinstance(body, dict) or "media" not in body:
            return 200, {"errcode": 40004, "errmsg": "不合法的媒体文件类型"}
        filename, data = body["media"]
        if not 0 < len(data) <= 20 * 1024 * 1024:
            return 200, {"errcode": 40006, "errmsg": "不合法的文件长度"}
        media_id = "@lA" + self.next_id("media")
        self.media[media_id] = {"type": query["type"], "filename": filename, "data": data}
        return 200, {"errcode": 0, "errmsg": "ok", "type": query["type"], "media_id": media_id,
                     "created_at": int(self.clock().timestamp() * 1000)}

    def _batch(self, body: dict[str, Any]) -> tuple[int, Any]:
        users, found = body.get("userIds"), self._robot_message(body)
        if found is None or not isinstance(users, list) or not 1 <= len(users) <= 20:
            return 400, {"code": "invalidParameter", "message": "robotCode, userIds (1-20), msgKey or msgParam"}
        throttled = [u for u in users if u in self.flow_control]
        self.flow_control -= set(throttled)
        for user in users:
            if user not in throttled:
                self.sent.append(from_api("batch", user, *found))
        return 200, {"processQueryKey": self.next_id("pq"), "invalidStaffIdList": [],
                     "flowControlledStaffIdList": throttled}

    def _group(self, body: dict[str, Any]) -> tuple[int, Any]:
        found, conversation = self._robot_message(body), body.get("openConversationId")
        if found is None or not isinstance(conversation, str) or not conversation:
            return 400, {"code": "invalidParameter", "message": "robotCode, openConversationId, msgKey or msgParam"}
        if conversation in self.flow_control_groups:
            self.flow_control_groups.discard(conversation)
            return 400, {"code": "send.too.fast", "message": "发送太快"}  # (unverified) code from third-party code
        self.sent.append(from_api("group", f"group:{conversation}", *found))
        return 200, {"processQueryKey": self.next_id("pq")}

    def _plugins(self, body: dict[str, Any]) -> tuple[int, Any]:
        """查询单聊机器人快捷入口: harmless, and it says whether the robotCode is this app's."""
        if body.get("robotCode") != ROBOT_CODE:
            return 400, {"code": "robot.not.exist", "message": "robotCode不存在"}  # (unverified)
        return 200, {"pluginInfoList": []}

    def _create_card(self, body: dict[str, Any]) -> tuple[int, Any]:
        out_track_id, space = body.get("outTrackId"), str(body.get("openSpaceId", ""))
        params = (body.get("cardData") or {}).get("cardParamMap")
        template = body.get("cardTemplateId")
        if template not in (TEMPLATE, CHART_TEMPLATE) or not out_track_id or not isinstance(params, dict) \
                or not space.startswith(("dtv1.card//IM_ROBOT.", "dtv1.card//IM_GROUP.")) \
                or not all(isinstance(v, str) for v in params.values()):
            return 400, {"code": "invalidParameter", "message": "cardTemplateId, outTrackId, cardData or openSpaceId"}
        if template == CHART_TEMPLATE and not _charts_valid(params):
            return 400, {"code": "invalidParameter", "message": "chart variable"}
        if out_track_id in self.cards:
            return 400, {"code": "param.outTrackId.duplicate", "message": "outTrackId exists"}  # (unverified)
        kind, _, target = space.removeprefix("dtv1.card//").partition(".")
        chat = f"group:{target}" if kind == "IM_GROUP" else target
        self.cards[out_track_id] = {"chat": chat, "params": dict(params), "updates": 0}
        buttons = [(b["text"], b["command"]) for b in json.loads(params.get("buttons", "[]"))]
        kind = "chart" if template == CHART_TEMPLATE else "card"
        self.sent.append(Sent("card", chat, kind, params.get("markdown", ""), buttons))
        return 200, {"success": True, "result": {"outTrackId": out_track_id, "deliverResults": [
            {"spaceType": kind, "spaceId": target, "success": True}]}}

    def _update_card(self, body: dict[str, Any]) -> tuple[int, Any]:
        card = self.cards.get(body.get("outTrackId", ""))
        params = (body.get("cardData") or {}).get("cardParamMap")
        if card is None or not isinstance(params, dict):
            return 400, {"code": "invalidParameter", "message": "unknown outTrackId"}
        card["params"].update(params)
        card["updates"] += 1
        return 200, {"success": True, "result": True}

    def _download(self, body: dict[str, Any]) -> tuple[int, Any]:
        code = body.get("downloadCode")
        if body.get("robotCode") != ROBOT_CODE or code not in self.files:
            return 400, {"code": "invalidParameter", "message": "downloadCode"}
        return 200, {"downloadUrl": f"{self.url}/files/{code}"}


def _charts_valid(params: dict[str, str]) -> bool:
    """Every chart variable a JSON string in the chart protocol: {type, data: [{x, y, type}], config}."""
    if set(params) < CHART_VARIABLES:
        return False
    for name in CHART_VARIABLES:
        try:
            chart = json.loads(params[name])
        except ValueError:
            return False
        points = chart.get("data")
        if chart.get("type") not in CHART_KINDS or not isinstance(chart.get("config"), dict) \
                or not isinstance(points, list):
            return False
        if not all(isinstance(p.get("x"), str) and isinstance(p.get("y"), (int, float)) and isinstance(p.get("type"), str)
                   for p in points):
            return False
    return True
