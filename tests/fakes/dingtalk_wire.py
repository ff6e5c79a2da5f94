"""The DingTalk fake's wire: what reached a chat, read back from a body, and the HTTP handler."""
from __future__ import annotations

import email.parser
import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Sent:
    via: str                     # webhook, batch, group, card
    chat: str                    # userId or group:<conversationId>
    kind: str                    # text, markdown, actionCard, card
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)   # (title, URL or command)
    media: str = ""              # a file's media_id (a picture's is its text, as DingTalk takes it)


def from_webhook(chat: str, body: dict[str, Any]) -> Sent:
    kind = body.get("msgtype", "")
    if kind == "text":
        return Sent("webhook", chat, kind, body["text"]["content"])
    if kind == "markdown":
        return Sent("webhook", chat, kind, body["markdown"]["text"])
    card = body["actionCard"]
    return Sent("webhook", chat, kind, card["text"], [(b["title"], b["actionURL"]) for b in card["btns"]])


def from_api(via: str, chat: str, key: str, param: dict[str, Any]) -> Sent:
    if key == "sampleText":
        return Sent(via, chat, "text", param["content"])
    if key == "sampleMarkdown":
        return Sent(via, chat, "markdown", param["text"])
    if key == "sampleImageMsg":
        return Sent(via, chat, "image", param["photoURL"])
    if key == "sampleFile":
        return Sent(via, chat, "file", param["fileName"], media=param["mediaId"])
    if key == "sampleActionCard":
        return Sent(via, chat, "actionCard", param["text"], [(param["singleTitle"], param["singleURL"])])
    count = int(key.removeprefix("sampleActionCard"))
    return Sent(via, chat, "actionCard", param["text"],
                [(param[f"actionTitle{i}"], param[f"actionURL{i}"]) for i in range(1, count + 1)])


def multipart(content_type: str, raw: bytes) -> dict[str, tuple[str, bytes]]:
    """form field -> (filename, bytes), parsed the way a mail reader parses MIME."""
    message = email.parser.BytesParser().parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    if not message.is_multipart():
        raise ValueError("not multipart")
    return {str(p.get_param("name", header="content-disposition")): (p.get_filename() or "", p.get_payload(decode=True))
            for p in message.get_payload()}  # type: ignore[union-attr]


def handler(fake: Any) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def do_PUT(self) -> None:
            self._answer("PUT")

        def _answer(self, method: str) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = multipart(self.headers.get("Content-Type", ""), raw) if parts.path == "/media/upload" \
                    else json.loads(raw) if raw else {}
            except ValueError:
                body = None
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            token = self.headers.get("x-acs-dingtalk-access-token", "")
            status, answer = (400, {"code": "invalidJson"}) if body is None else \
                fake.answer(method, parts.path, query, body, token)
            if parts.path in fake.lose_answer:      # the work is done, the answer never arrives
                fake.lose_answer.discard(parts.path)
                self.close_connection = True
                return
            data = answer if isinstance(answer, bytes) else json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream" if isinstance(answer, bytes)
                             else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
