"""The API half of the WeCom fake: gettoken, message/send, update_template_card, media/get|upload
and kf/sync_msg|send_msg on 127.0.0.1, with the platform's rules, recording what it took.

Time is the test's clock. Codes marked (unverified) are our best reading of the docs. Faults
(errcodes, HTTP errors, dropped connections) can be queued per path with `fail`.
"""
from __future__ import annotations

import base64
import email.parser
import hashlib
import json
import re
import threading
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CORP_ID, AGENT_ID, OPEN_KFID = "wwfa4e0c0rp1d0001", 1000002, "wkFAKEkf0001"
SECRET, KF_SECRET, TOKEN = "app-secret-for-tests", "kf-secret-for-tests", "callbacktoken"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
INVALID_PARAM, CODE_USED = 40058, 40058          # (unverified) for card rule violations / spent codes
KF_CAP, KF_WINDOW_SHUT, KF_DUP_MSGID = 95001, 95018, 95020   # cap per sources; the others (unverified)
UPLOAD_LIMITS = {"image": 10 << 20, "voice": 2 << 20, "video": 10 << 20, "file": 20 << 20}
TASK_ID = re.compile(r"^[0-9a-zA-Z_\-@]{1,128}$")
KF_TOKEN_LIFE = 600                                # seconds a kf event's sync token can be used
EVENT_CODE_LIFE = 20                               # seconds a welcome_code / msg_code can be used
KF_CODE_BAD, KF_STATE_REFUSED = 95011, 95016       # (unverified) spent or stale code; wrong session state
SCENE = re.compile(r"^[0-9a-zA-Z_\-]{1,32}$")
BOT, HUMAN, ENDED = 1, 3, 4                        # service_state: 智能助手接待, 人工接待, 已结束
Fault = int | str
MSGID = re.compile(r"^[0-9a-zA-Z_\-]{1,32}$")


class FakeWecom:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.tokens: dict[str, dict[str, Any]] = {}
        self.gettoken_calls = 0
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.messages: list[dict[str, Any]] = []       # app messages delivered, one per member
        self.dropped: list[dict[str, Any]] = []        # over 30/min: dropped without an error
        self.answered: dict[str, str] = {}            # MsgId -> the passive reply shown for it
        self.violations: list[str] = []                # what WeCom would truncate or frown on
        self.task_ids: set[str] = set()
        self.seen_content: dict[tuple[str, str, str], float] = {}   # duplicate check: content -> first sent
        self.codes: dict[str, dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []
        self.media: dict[str, bytes] = {}
        self.uploads: list[dict[str, Any]] = []       # what media/upload took: type, filename, size, app
        self.kf_log: list[dict[str, Any]] = []
        self.kf_tokens: dict[str, float] = {}          # event token -> when it was issued (valid 10 min)
        self.kf_sent: list[dict[str, Any]] = []
        self.kf_msgids: set[str] = set()
        self.kf_windows: dict[str, dict[str, Any]] = {}
        self.contact_ways: dict[str, str] = {}         # url -> scene
        self.event_codes: dict[str, dict[str, Any]] = {}   # welcome_code / msg_code -> user, issued, used
        self.kf_events_sent: list[dict[str, Any]] = []
        self.servicers: set[str] = set()               # 接待人员 of the kf account
        self.sessions: dict[str, dict[str, Any]] = {}  # external_userid -> service_state, servicer
        self.empty_pages = 0                           # pages with has_more=1 and no messages
        self.refuse_tokens = False                     # every token invalid (40014), fresh ones too
        self.page_size = 1000
        self.faults: dict[str, list[Fault]] = {}       # path -> what the next calls meet instead
        self.faulted: list[tuple[str, Fault]] = []
        self.lock = threading.Lock()
        self._counter = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def now(self) -> float:
        return self.clock().timestamp()

    def next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:06d}"

    def expire_tokens(self) -> None:
        for record in self.tokens.values():
            record["stale"] = True

    def revoke_tokens(self) -> None:
        """Every token issued so far is invalid now (40014), long before its stated expiry."""
        self.tokens.clear()

    def fail(self, path: str, *faults: Fault) -> None:
        """The next calls to `path` meet these, one each: an errcode (45009 frequency, 45033
        concurrency, ...), an HTTP status as "http 502", "network" (the connection drops before
        anything is done) or "lost" (the call is carried out, then the connection drops unanswered)."""
        self.faults.setdefault(path, []).extend(faults)

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(path)
            if not queue:
                return None
            fault = queue.pop(0)
            self.faulted.append((path, fault))
            return fault

    def to(self, user: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["to"] == user]

    def kf_to(self, user: str) -> list[dict[str, Any]]:
        return [m for m in self.kf_sent if m["touser"] == user]

    # --- the API ---------------------------------------------------------------------------

    def route(self, method: str, path: str, query: dict[str, str], body: bytes,
              content_type: str) -> tuple[str, bytes]:
        routes: dict[tuple[str, str], Callable[..., Any]] = {
            ("GET", "/cgi-bin/gettoken"): self.gettoken, ("POST", "/cgi-bin/message/send"): self.send,
            ("POST", "/cgi-bin/message/update_template_card"): self.update_card,
            ("GET", "/cgi-bin/media/get"): self.media_get, ("POST", "/cgi-bin/media/upload"): self.upload,
            ("POST", "/cgi-bin/kf/sync_msg"): self.sync_msg, ("POST", "/cgi-bin/kf/send_msg"): self.kf_send,
            ("POST", "/cgi-bin/kf/add_contact_way"): self.add_contact_way,
            ("POST", "/cgi-bin/kf/send_msg_on_event"): self.send_on_event,
            ("POST", "/cgi-bin/kf/service_state/trans"): self.trans, ("POST", "/cgi-bin/kf/service_state/get"): self.state,
            ("GET", "/cgi-bin/kf/servicer/list"): self.servicer_list}
        handler = routes.get((method, path))
        if handler is None:
            return _json({"errcode": 404, "errmsg": "no such api"})
        with self.lock:
            if path == "/cgi-bin/media/upload":
                return _json(handler(query, body, content_type))
            data = json.loads(body) if body else {}
            self.requests.append((path, data))
            result = handler(query, data)
            return result if isinstance(result, tuple) else _json(result)

    def gettoken(self, query: dict[str, str], _: Any) -> dict[str, Any]:
        self.gettoken_calls += 1
        if query.get("corpid") != CORP_ID:
            return {"errcode": 40013, "errmsg": "invalid corpid"}
        app = {SECRET: "app", KF_SECRET: "kf"}.get(query.get("corpsecret", ""))
        if app is None:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        token = self.next_id(f"tok-{app}-") + "x" * 40
        self.tokens[token] = {"app": app, "expires": self.now() + 7200, "stale": False}
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def auth(self, query: dict[str, str], app: str) -> dict[str, Any] | None:
        """None when the token is good; a stale one answers 42001 once and is then unknown."""
        record = self.tokens.get(query.get("access_token", ""))
        if record is None or self.refuse_tokens:
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        if record["stale"] or self.now() >= record["expires"]:
            del self.tokens[query["access_token"]]
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if record["app"] != app:
            return {"errcode": 48002, "errmsg": "api forbidden"}
        return None

    def send(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        refused = self.auth(query, "app") or self._check_send(body)
        if refused:
            return refused
        response: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "msgid": self.next_id("msg"),
                                    "invaliduser": ""}
        if body["msgtype"] == "template_card":
            self.task_ids.add(body["template_card"]["task_id"])
            response["response_code"] = self.issue_code(body["template_card"]["task_id"], body["touser"])
        for user in body["touser"].split("|"):
            if not self._duplicate(user, body):
                self._deliver(user, body)
        return response

    def _duplicate(self, user: str, body: dict[str, Any]) -> bool:
        """enable_duplicate_check: the same content to the same member within the interval (default
        1800 s, at most 4 h) is taken with errcode 0 and not shown again (Doc 90236)."""
        if body.get("enable_duplicate_check") != 1:
            return False
        interval = min(int(body.get("duplicate_check_interval") or 1800), 4 * 3600)
        key = (user, body["msgtype"], json.dumps(body.get(body["msgtype"]), sort_keys=True, ensure_ascii=False))
        last = self.seen_content.get(key)
        self.seen_content[key] = self.now() if last is None or self.now() - last >= interval else last
        return last is not None and self.now() - last < interval

    def _check_send(self, body: dict[str, Any]) -> dict[str, Any] | None:
        if body.get("agentid") != AGENT_ID:
            return {"errcode": 40056, "errmsg": "invalid agentid"}
        if not body.get("touser") or len(body["touser"].split("|")) > 1000:
            return {"errcode": 40031, "errmsg": "invalid user list"}
        if body.get("msgtype") == "text":
            content = body.get("text", {}).get("content", "")
            if len(content.encode()) > 2048:
                self.violations.append("text over 2048 bytes (truncated)")
            return None if content else {"errcode": 44004, "errmsg": "empty content"}
        if body.get("msgtype") == "template_card":
            return self._check_card(body.get("template_card") or {})
        if body.get("msgtype") in ("image", "file"):
            return self._check_media(body)
        return {"errcode": 40008, "errmsg": "invalid message type"}

    def _check_media(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """An image or file message names a media_id that media/upload issued, of the same type."""
        media_id = str((body.get(body["msgtype"]) or {}).get("media_id", ""))
        uploaded = next((u for u in self.uploads if u["media_id"] == media_id), None)
        if uploaded is None or uploaded["type"] != body["msgtype"]:
            return {"errcode": 40007, "errmsg": "invalid media_id"}
        return None

    def _check_card(self, card: dict[str, Any]) -> dict[str, Any] | None:
        task_id = str(card.get("task_id", ""))
        if not TASK_ID.match(task_id) or task_id in self.task_ids:
            return {"errcode": 42014, "errmsg": "invalid or duplicate task_id"}
        buttons = card.get("button_list") or []
        keys = [str(b.get("key", "")) for b in buttons]
        if card.get("card_type") != "button_interaction" or not 1 <= len(buttons) <= 6 or \
                len(set(keys)) != len(keys) or any(not k or len(k.encode()) > 1024 for k in keys):
            return {"errcode": INVALID_PARAM, "errmsg": "invalid button_list"}
        if len(card.get("main_title", {}).get("title", "")) > 36 or any(len(b["text"]) > 10 for b in buttons):
            self.violations.append("card text over the suggested length")
        if len(card.get("horizontal_content_list") or []) > 6:
            return {"errcode": INVALID_PARAM, "errmsg": "horizontal_content_list over 6"}
        return None

    def _deliver(self, user: str, body: dict[str, Any]) -> None:
        """30 a minute per member, and anything above is silently dropped."""
        recent = [m for m in self.messages if m["to"] == user and self.now() - m["at"] < 60]
        record = {"to": user, "at": self.now(), "msgtype": body["msgtype"], "body": body}
        (self.dropped if len(recent) >= 30 else self.messages).append(record)

    def answer(self, user: str, msg_id: str, content: str) -> None:
        """A passive reply to `msg_id`, shown to the member like a sent text; once a message."""
        if msg_id in self.answered:
            if self.answered[msg_id] != content:
                self.violations.append(f"message {msg_id} answered twice, differently")
            return
        self.answered[msg_id] = content
        if len(content.encode()) > 2048:
            self.violations.append("passive text over 2048 bytes (truncated)")
        self.messages.append({"to": user, "at": self.now(), "msgtype": "text", "passive": True,
                              "body": {"msgtype": "text", "text": {"content": content}}})

    def issue_code(self, task_id: str, user: str) -> str:
        code = self.next_id("rc") + hashlib.sha1(task_id.encode()).hexdigest()[:16]
        self.codes[code] = {"task_id": task_id, "user": user, "issued": self.now(), "used": False}
        return code

    def update_card(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        refused = self.auth(query, "app")
        if refused:
            return refused
        code = self.codes.get(str(body.get("response_code", "")))
        if code is None or code["used"] or self.now() - code["issued"] > 24 * 3600:
            return {"errcode": CODE_USED, "errmsg": "invalid response_code"}
        if body.get("agentid") != AGENT_ID:
            return {"errcode": 40056, "errmsg": "invalid agentid"}
        if not body.get("atall") and code["user"] not in (body.get("userids") or []):
            # A code is issued to one member (the send's addressee or the clicker): only their card.
            return {"errcode": 81013, "errmsg": "user not the holder of this response_code"}
        code["used"] = True
        self.updates.append({"task_id": code["task_id"], "userids": body.get("userids"),
                             "replace_name": (body.get("button") or {}).get("replace_name")})
        return {"errcode": 0, "errmsg": "ok"}

    def media_get(self, query: dict[str, str], _: Any) -> dict[str, Any] | tuple[str, bytes]:
        refused = self.auth(query, "kf" if query.get("media_id", "").startswith("kf") else "app")
        data = self.media.get(query.get("media_id", ""))
        if refused or data is None:
            return refused or {"errcode": 40007, "errmsg": "invalid media_id"}
        return "image/jpeg", data

    def upload(self, query: dict[str, str], body: bytes, content_type: str) -> dict[str, Any]:
        # The app's token, or the one of the app that serves 微信客服: each uploads for its own sends.
        app = (self.tokens.get(query.get("access_token", "")) or {}).get("app", "app")
        refused = self.auth(query, app)
        kind = query.get("type", "")
        if refused or kind not in UPLOAD_LIMITS:
            return refused or {"errcode": 40005, "errmsg": "invalid type"}
        message = email.parser.BytesParser().parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        parts = [p for p in message.walk() if p.get_param("name", header="content-disposition") == "media"]
        data = parts[0].get_payload(decode=True) if parts else b""
        if not 5 < len(data) <= UPLOAD_LIMITS[kind]:  # type: ignore[arg-type]
            return {"errcode": 40006, "errmsg": "invalid file size"}
        media_id = self.next_id("kfmedia" if app == "kf" else "media")
        self.media[media_id] = data  # type: ignore[assignment]
        self.uploads.append({"type": kind, "filename": parts[0].get_filename(), "size": len(data),  # type: ignore[arg-type]
                             "app": app, "media_id": media_id})
        return {"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id, "created_at": str(int(self.now()))}

    # --- 微信客服 ------------------------------------------------------------------------------

    def sync_msg(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        refused = self.auth(query, "kf")
        if refused:
            return refused
        issued = self.kf_tokens.get(str(body.get("token", "")))
        if body.get("token") and (issued is None or self.now() - issued > KF_TOKEN_LIFE):
            return {"errcode": 95007, "errmsg": "invalid msg token"}
        cursor = str(body.get("cursor") or "c0")
        start = int(cursor[1:]) if re.fullmatch(r"c\d+", cursor) else -1
        if start < 0 or len(cursor.encode()) > 64:
            return {"errcode": 95000, "errmsg": "invalid cursor"}
        if self.empty_pages > 0:
            self.empty_pages -= 1
            return {"errcode": 0, "errmsg": "ok", "next_cursor": cursor, "has_more": 1, "msg_list": []}
        page = self.kf_log[start:start + min(int(body.get("limit") or 1000), self.page_size, 1000)]
        end = start + len(page)
        return {"errcode": 0, "errmsg": "ok", "next_cursor": f"c{end}", "has_more": int(end < len(self.kf_log)),
                "msg_list": page}

    def kf_send(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        refused = self.auth(query, "kf") or self._check_kf(body)
        if refused:
            return refused
        if self.sessions.get(body["touser"], {}).get("service_state", BOT) not in (0, BOT):
            return {"errcode": KF_STATE_REFUSED, "errmsg": "session state does not allow send_msg"}
        window = self.kf_windows.get(body["touser"])
        if window is None or self.now() - window["last"] > 48 * 3600:
            return {"errcode": KF_WINDOW_SHUT, "errmsg": "not allowed in this session state"}
        if window["count"] >= 5:
            return {"errcode": KF_CAP, "errmsg": "send msg count limit"}
        window["count"] += 1
        self.kf_msgids.add(body["msgid"])
        self.kf_sent.append({**body, "at": self.now()})
        return {"errcode": 0, "errmsg": "ok", "msgid": body["msgid"]}

    def _check_kf(self, body: dict[str, Any]) -> dict[str, Any] | None:
        if body.get("open_kfid") != OPEN_KFID:
            return {"errcode": 95000, "errmsg": "invalid open_kfid"}
        if not MSGID.match(str(body.get("msgid", ""))):
            return {"errcode": INVALID_PARAM, "errmsg": "invalid msgid"}
        if body["msgid"] in self.kf_msgids:
            return {"errcode": KF_DUP_MSGID, "errmsg": "duplicate msgid"}
        if body.get("msgtype") == "text" and len(body["text"]["content"].encode()) > 2048:
            self.violations.append("kf text over 2048 bytes")
        if body.get("msgtype") in ("image", "file"):
            return self._check_media(body)
        if body.get("msgtype") == "msgmenu":
            menu = body["msgmenu"]
            if len(menu.get("head_content", "").encode()) > 1024:
                self.violations.append("msgmenu head over 1024 bytes")
            clicks = [i["click"] for i in menu.get("list", []) if i.get("type") == "click"]
            if len(clicks) > 10 or any(not 0 < len(c["id"].encode()) <= 128 for c in clicks):
                return {"errcode": INVALID_PARAM, "errmsg": "invalid msgmenu"}
        return None

    def add_contact_way(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        refused = self.auth(query, "kf")
        if refused:
            return refused
        if body.get("open_kfid") != OPEN_KFID:
            return {"errcode": 95000, "errmsg": "invalid open_kfid"}
        scene = str(body.get("scene", ""))
        if scene and not SCENE.match(scene):
            return {"errcode": INVALID_PARAM, "errmsg": "invalid scene"}
        url = f"https://work.weixin.qq.com/kfid/kfc{self.next_id('')}?enc_scene=ENC{scene}"
        self.contact_ways[url] = scene
        return {"errcode": 0, "errmsg": "ok", "url": url}

    def send_on_event(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        """A welcome (or end-of-session) message on a one-time code, within 20 s of its event."""
        refused = self.auth(query, "kf")
        if refused:
            return refused
        code = self.event_codes.get(str(body.get("code", "")))
        if code is None or code["used"] or self.now() - code["issued"] > EVENT_CODE_LIFE:
            return {"errcode": KF_CODE_BAD, "errmsg": "invalid code"}
        if body.get("msgtype") not in ("text", "msgmenu"):
            return {"errcode": INVALID_PARAM, "errmsg": "msgtype not allowed on event"}
        if body.get("msgid") and not MSGID.match(str(body["msgid"])):
            return {"errcode": INVALID_PARAM, "errmsg": "invalid msgid"}
        code["used"] = True
        self.kf_events_sent.append({**body, "touser": code["user"], "kind": code["kind"], "at": self.now()})
        return {"errcode": 0, "errmsg": "ok", "msgid": body.get("msgid") or self.next_id("evmsg")}

    def trans(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        refused = self.auth(query, "kf")
        if refused:
            return refused
        state, servicer = int(body.get("service_state", -1)), str(body.get("servicer_userid", ""))
        if state == HUMAN and servicer not in self.servicers:
            return {"errcode": 95013, "errmsg": "servicer not on this kf account"}  # (unverified)
        user = str(body.get("external_userid", ""))
        before = self.sessions.get(user, {}).get("service_state", 0)
        self.sessions[user] = {"service_state": state, "servicer": servicer}
        code = ""
        if state in (2, HUMAN, ENDED) and state != before:   # 回复语 / 结束语 code, as the doc says
            code = self.next_id("MSGCODE")
            self.event_codes[code] = {"user": user, "issued": self.now(), "used": False, "kind": f"state{state}"}
        return {"errcode": 0, "errmsg": "ok", "msg_code": code}

    def state(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        refused = self.auth(query, "kf")
        if refused:
            return refused
        session = self.sessions.get(str(body.get("external_userid", "")), {})
        return {"errcode": 0, "errmsg": "ok", "service_state": session.get("service_state", 0),
                "servicer_userid": session.get("servicer", "")}

    def servicer_list(self, query: dict[str, str], _: Any) -> dict[str, Any]:
        refused = self.auth(query, "kf")
        if refused:
            return refused
        if query.get("open_kfid") != OPEN_KFID:
            return {"errcode": 95000, "errmsg": "invalid open_kfid"}
        return {"errcode": 0, "errmsg": "ok",
                "servicer_list": [{"userid": u, "status": 0} for u in sorted(self.servicers)]}

    def kf_welcomes(self, user: str) -> list[dict[str, Any]]:
        return [m for m in self.kf_events_sent if m["touser"] == user]

    def _event(self, user: str, kind: str, event: dict[str, Any]) -> dict[str, Any]:
        code = self.next_id("CODE")
        self.event_codes[code] = {"user": user, "issued": self.now(), "used": False, "kind": kind}
        item = {"msgid": self.next_id("kfev"), "open_kfid": OPEN_KFID, "send_time": int(self.now()), "origin": 4,
                "msgtype": "event", "event": {"open_kfid": OPEN_KFID, "external_userid": user, **event}}
        item["event"]["welcome_code" if kind == "welcome" else "msg_code"] = code
        self.kf_log.append(item)
        return item

    def customer_enters(self, user: str, url: str = "") -> dict[str, Any]:
        """The customer opens the chat, from a contact-way link (scanned code) or none."""
        parts = parse_qs(urlsplit(url).query) if url else {}
        scene = self.contact_ways.get(url.split("&scene_param=")[0], "") if url else ""
        event: dict[str, Any] = {"event_type": "enter_session", "scene": scene}
        if parts.get("scene_param"):
            event["scene_param"] = parts["scene_param"][0]
        self.sessions.setdefault(user, {"service_state": BOT, "servicer": ""})
        return self._event(user, "welcome", event)

    def servicer_ends(self, user: str) -> dict[str, Any]:
        """The servicer closes the session in WeCom: one end-of-session message may follow."""
        old = self.sessions.get(user, {}).get("servicer", "")
        self.sessions[user] = {"service_state": ENDED, "servicer": ""}
        return self._event(user, "end", {"event_type": "session_status_change", "change_type": 4,
                                         "old_servicer_userid": old})

    def customer_writes(self, user: str, text: str = "", menu_id: str = "", media_id: str = "",
                        origin: int = 3, location: dict[str, Any] | None = None) -> dict[str, Any]:
        """A WeChat customer's message lands in the kf log (and opens the 48 h / 5-message window).

        `location`: {latitude, longitude, name, address}, as WeChat's location picker sends it."""
        item: dict[str, Any] = {"msgid": self.next_id("kfmsg"), "open_kfid": OPEN_KFID, "external_userid": user,
                                "send_time": int(self.now()), "origin": origin}
        if location is not None:
            item.update(msgtype="location", location=location)
        elif media_id:
            item.update(msgtype="image", image={"media_id": media_id})
        else:
            item.update(msgtype="text", text={"content": text, **({"menu_id": menu_id} if menu_id else {})})
        self.kf_log.append(item)
        if origin == 3:
            self.kf_windows[user] = {"last": self.now(), "count": 0}
            if self.sessions.get(user, {}).get("service_state") == ENDED:
                self.sessions[user] = {"service_state": BOT, "servicer": ""}   # a new session begins
        return item


def _json(data: dict[str, Any]) -> tuple[str, bytes]:
    return "application/json", json.dumps(data, ensure_ascii=False).encode()


def _handler(fake: FakeWecom) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def _answer(self, method: str) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fault, status = fake.take_fault(url.path), 200
            if fault == "network":
                self.close_connection = True  # no answer at all: the client sees the connection drop
                return
            if fault == "lost":  # done, but the answer never reaches the caller
                fake.route(method, url.path, query, body, self.headers.get("Content-Type", ""))
                self.close_connection = True
                return
            if isinstance(fault, str) and fault.startswith("http "):
                kind, data, status = "text/html", b"<html>bad gateway</html>", int(fault.split()[1])
            elif isinstance(fault, int):
                kind, data = _json({"errcode": fault, "errmsg": "injected by the test"})
            else:
                kind, data = fake.route(method, url.path, query, body, self.headers.get("Content-Type", ""))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:  # quiet: pytest shows failures, not traffic
            pass
    return Handler
