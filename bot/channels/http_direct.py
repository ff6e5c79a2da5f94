"""JSON calls to a platform API over kept-alive standard-library connections: the replies' path.

Every reply is one such call, and httpx spends three times the exchange's own CPU on it (URL and
parameter merging, the auth, redirect, cookie and hook layers, the response's wrapping). The
platform clients send their JSON calls here and keep httpx for uploads, downloads and any
deployment that reaches the platform through a proxy from the environment (which only httpx
reads). What a caller must still tell apart, it can:

- `Unsent`: the connection (or its TLS handshake) failed, so nothing was written;
- `AnswerLost`: the request was (or was being) written and no answer came: it may have arrived.

The rules are httpx's defaults, so nothing changes on the wire that matters: a connection idle
for more than 5 seconds, or one the server has closed or written to while idle, is not reused
(a request on it could be lost half-way); the connect timeout covers the TLS handshake; the
certificates are checked as httpx checks them (`httpx.create_ssl_context`); each exchange is
logged on the "httpx" logger in its words, for an operator who turns that logger on (the log
filter masks the token in the URL)."""
from __future__ import annotations

import http.client
import logging
import select
import socket
import ssl
import threading
import time
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

KEEP_ALIVE = 5.0    # httpx's keepalive_expiry
MAX_IDLE = 20       # httpx's max_keepalive_connections
USER_AGENT = f"python-httpx/{httpx.__version__}"   # what these calls said before they came here
log = logging.getLogger("httpx")


class Unsent(Exception):
    """Nothing was written; `name` is the httpx exception that stood for it before."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class AnswerLost(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def proxied() -> bool:
    """A proxy in the environment: httpx honours it and these connections would not."""
    return any(scheme in urllib.request.getproxies() for scheme in ("http", "https", "all"))


class DirectPoster:
    """A small pool of kept-alive connections per origin; safe to share between threads."""

    def __init__(self, connect: float, read: float) -> None:
        self.connect_timeout, self.read_timeout = connect, read
        self._idle: dict[tuple[str, str, int], list[tuple[float, http.client.HTTPConnection]]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def request(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        parts = urlsplit(url)
        origin = (parts.scheme, parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        target = f"{parts.path or '/'}?{parts.query}" if parts.query else (parts.path or "/")
        conn = self._take(origin) or self._open(origin)
        try:
            conn.request(method, target, body, {"User-Agent": USER_AGENT, **headers})
            response = conn.getresponse()
            answer = Answer(response.status, response.getheader("content-type", ""), response.read())
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise AnswerLost(_lost_name(e)) from None
        self._give_back(origin, conn)
        log.info('HTTP Request: %s %s "%s %d %s"', method, url, _version(response.version), response.status, response.reason)
        return answer

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for _, conn in conns:
                conn.close()

    def _take(self, origin: tuple[str, str, int]) -> http.client.HTTPConnection | None:
        now = time.monotonic()
        while True:
            with self._lock:
                conns = self._idle.get(origin)
                if not conns:
                    return None
                since, conn = conns.pop()
            if now - since <= KEEP_ALIVE and conn.sock is not None and not _readable(conn.sock):
                return conn
            conn.close()   # expired, or the server closed it (or spoke out of turn) while it waited

    def _give_back(self, origin: tuple[str, str, int], conn: http.client.HTTPConnection) -> None:
        if conn.sock is None:   # the server said Connection: close
            return
        with self._lock:
            conns = self._idle.setdefault(origin, [])
            if len(conns) < MAX_IDLE:
                conns.append((time.monotonic(), conn))
                return
        conn.close()

    def _open(self, origin: tuple[str, str, int]) -> http.client.HTTPConnection:
        scheme, host, port = origin
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=self.connect_timeout, context=self._context())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.connect_timeout)
        try:
            conn.connect()
        except TimeoutError:
            conn.close()
            raise Unsent("ConnectTimeout") from None
        except OSError:   # refused, unreachable, no such host, a failed TLS handshake
            conn.close()
            raise Unsent("ConnectError") from None
        assert conn.sock is not None
        conn.sock.settimeout(self.read_timeout)
        return conn

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        return self._tls


def _readable(sock: socket.socket) -> bool:
    if hasattr(select, "poll"):   # select() cannot watch a descriptor above 1023
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _version(number: int) -> str:
    return "HTTP/1.0" if number == 10 else "HTTP/1.1"


def _lost_name(e: Exception) -> str:
    if isinstance(e, TimeoutError):
        return "ReadTimeout"
    if isinstance(e, (http.client.HTTPException, ConnectionResetError, BrokenPipeError)):
        return "RemoteProtocolError"
    return "ReadError"
