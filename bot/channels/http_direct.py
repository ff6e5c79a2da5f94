"""JSON calls to a platform API over kept-alive HTTP/1.1 connections: the replies' path.

Every reply is one such call. httpx spent three times the exchange's own CPU on it (URL and
parameter merging, the auth, redirect, cookie and hook layers, the response's wrapping), and
urllib3 on `http.client` still twice as much as the rest of the delivery: `http.client` parses
each answer's headers with the e-mail parser. Here the request is written in one piece and the
answer read by httptools (llhttp, the C parser uvicorn serves us with), about a fifth of
urllib3's CPU a call. The platform clients send their JSON calls here and keep httpx for uploads,
downloads and any deployment that reaches the platform through a proxy from the environment
(which only httpx reads). What a caller must still tell apart, it can:

- `Unsent`: the connection (or its TLS handshake) failed, so nothing was written;
- `AnswerLost`: the request was (or was being) written and no answer came: it may have arrived.

Up to 20 idle connections are kept per origin (as httpx did); one the server has closed, or
written to, while it sat idle is dropped, not used. A call is never sent twice: a call on a
connection the server closed just as it went out may have been read, and only the caller knows
whether saying it again is safe (the outbox decides, as it did with httpx). The connect timeout
covers the TLS handshake; the certificates are checked as httpx checks them
(`httpx.create_ssl_context`); each exchange is logged on the "httpx" logger in its words, for an
operator who turns that logger on (the log filter masks the token in the URL)."""
from __future__ import annotations

import functools
import logging
import select
import socket
import ssl
import threading
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools
import httpx

MAX_IDLE = 20       # httpx's max_keepalive_connections
USER_AGENT = f"python-httpx/{httpx.__version__}"   # what these calls said before they came here
READ_SIZE = 65536
log = logging.getLogger("httpx")

Origin = tuple[str, str, int]   # scheme, host, port


class _Failed(Exception):
    """`name` is the httpx exception that stood for this failure before."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Unsent(_Failed):
    """Nothing was written."""


class AnswerLost(_Failed):
    """Written (or being written), and no answer came: it may have arrived."""


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def proxied() -> bool:
    """A proxy in the environment: httpx honours it and these connections would not."""
    return any(scheme in urllib.request.getproxies() for scheme in ("http", "https", "all"))


class DirectPoster:
    """Connections kept per origin; safe to share between threads (each call has its own)."""

    def __init__(self, connect: float, read: float) -> None:
        self._connect = connect
        self._read = read
        self._idle: dict[Origin, list[socket.socket]] = {}
        self._lock = threading.Lock()

    def request(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        origin, target = _split(url)
        sock = self._reused(origin) or self._opened(origin)
        try:
            sock.settimeout(self._read)
            sock.sendall(_head(method, origin, target, headers, len(body)) + body)
            reply = _read_answer(sock)
        except BaseException as e:
            sock.close()
            if isinstance(e, Exception):
                raise AnswerLost(_lost_name(e)) from None
            raise
        if reply.keep_alive:
            self._keep(origin, sock)
        else:
            sock.close()
        log.info('HTTP Request: %s %s "%s %d %s"', method, url, reply.version, reply.status, reply.reason)
        return Answer(reply.status, reply.headers.get("content-type", ""), reply.body)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for socks in idle.values():
            for sock in socks:
                sock.close()

    def _reused(self, origin: Origin) -> socket.socket | None:
        """The most recently used idle connection still fit to carry a call."""
        while True:
            with self._lock:
                socks = self._idle.get(origin)
                if not socks:
                    return None
                sock = socks.pop()
            if not _dropped(sock):
                return sock
            sock.close()

    def _keep(self, origin: Origin, sock: socket.socket) -> None:
        with self._lock:
            socks = self._idle.setdefault(origin, [])
            if len(socks) < MAX_IDLE:
                socks.append(sock)
                return
        sock.close()

    def _opened(self, origin: Origin) -> socket.socket:
        scheme, host, port = origin
        try:
            sock = socket.create_connection((host, port), timeout=self._connect)
        except TimeoutError:
            raise Unsent("ConnectTimeout") from None
        except OSError:
            raise Unsent("ConnectError") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # head and body in one write anyway
        if scheme != "https":
            return sock
        try:
            return _tls_context().wrap_socket(sock, server_hostname=host)
        except TimeoutError:
            sock.close()
            raise Unsent("ConnectTimeout") from None
        except OSError:   # ssl.SSLError and ssl.CertificateError are ones
            sock.close()
            raise Unsent("ConnectError") from None


@dataclass
class _Reply:
    """Filled in by httptools as the answer is parsed."""

    status: int = 0
    reason: str = ""
    version: str = "HTTP/1.1"
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    headers_done: bool = False
    complete: bool = False
    keep_alive: bool = False

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def on_status(self, reason: bytes) -> None:
        self.reason += reason.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def on_message_complete(self) -> None:
        self.complete = True


def _read_answer(sock: socket.socket) -> _Reply:
    reply = _Reply()
    parser = httptools.HttpResponseParser(reply)
    while not reply.complete:
        data = sock.recv(READ_SIZE)
        if not data:
            if _ends_at_close(reply):
                break
            raise ConnectionResetError("closed before the answer was complete")
        parser.feed_data(data)
    reply.status = parser.get_status_code()
    reply.version = f"HTTP/{parser.get_http_version()}"
    reply.keep_alive = reply.complete and _keeps(reply)
    return reply


def _keeps(reply: _Reply) -> bool:
    # llhttp's own answer is gone once the message is complete, so it is read off the headers.
    said = reply.headers.get("connection", "").lower()
    return "keep-alive" in said if reply.version == "HTTP/1.0" else "close" not in said


def _ends_at_close(reply: _Reply) -> bool:
    """An answer with neither a length nor chunks runs until the server closes (HTTP/1.1 §6.3)."""
    return reply.headers_done and "content-length" not in reply.headers and \
        "chunked" not in reply.headers.get("transfer-encoding", "").lower()


def _dropped(sock: socket.socket) -> bool:
    """An idle connection is readable only if the server closed it or wrote out of turn."""
    try:
        poller = select.poll()
    except AttributeError:   # no poll(): select() copes with the few sockets of a small host
        return bool(select.select([sock], [], [], 0)[0])
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def _head(method: str, origin: Origin, target: str, headers: dict[str, str], length: int) -> bytes:
    scheme, host, port = origin
    default = 443 if scheme == "https" else 80
    authority = (f"[{host}]" if ":" in host else host) + ("" if port == default else f":{port}")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {authority}", "Accept: */*", "Accept-Encoding: identity",
             "Connection: keep-alive", f"User-Agent: {USER_AGENT}",
             *(f"{name}: {value}" for name, value in headers.items()), f"Content-Length: {length}", "", ""]
    return "\r\n".join(lines).encode("latin-1")


@functools.lru_cache(maxsize=64)
def _split(url: str) -> tuple[Origin, str]:
    """The origin and the path with its query: a client calls the same few URLs, each until its
    token changes, so each is parsed once."""
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    port = parts.port or (443 if scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (scheme, parts.hostname or "", port), target


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Built once a process: loading the CA bundle takes ~20 ms."""
    return httpx.create_ssl_context()


def _lost_name(e: Exception) -> str:
    if isinstance(e, TimeoutError):
        return "ReadTimeout"
    if isinstance(e, (httptools.HttpParserError, ConnectionResetError, BrokenPipeError)):
        return "RemoteProtocolError"
    return "ReadError"
