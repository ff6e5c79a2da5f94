"""JSON calls to a platform API over urllib3's kept-alive connections: the replies' path.

Every reply is one such call, and httpx spends three times the exchange's own CPU on it (URL and
parameter merging, the auth, redirect, cookie and hook layers, the response's wrapping). The
platform clients send their JSON calls here and keep httpx for uploads, downloads and any
deployment that reaches the platform through a proxy from the environment (which only httpx
reads). What a caller must still tell apart, it can:

- `Unsent`: the connection (or its TLS handshake) failed, so nothing was written;
- `AnswerLost`: the request was (or was being) written and no answer came: it may have arrived.

urllib3 keeps the connections (up to 20 idle per origin, as httpx did) and does not reuse one the
server has closed or written to while idle. It never sends a call twice (retries=False): a call
on a connection the server closed just as it went out may have been read, and only the caller
knows whether saying it again is safe (the outbox decides, as it did with httpx). The connect
timeout covers the TLS handshake; the certificates are checked as httpx checks them
(`httpx.create_ssl_context`); each exchange is logged on the "httpx" logger in its words, for an
operator who turns that logger on (the log filter masks the token in the URL)."""
from __future__ import annotations

import functools
import http.client
import logging
import ssl
import threading
import urllib.request
from dataclasses import dataclass

import httpx
import urllib3
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool, port_by_scheme
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.util.ssl_match_hostname import CertificateError

MAX_IDLE = 20       # httpx's max_keepalive_connections
NO_RETRY = urllib3.Retry(total=False, redirect=False)   # what retries=False stands for, built once
USER_AGENT = f"python-httpx/{httpx.__version__}"   # what these calls said before they came here
log = logging.getLogger("httpx")


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
    """urllib3 pools, one per origin; safe to share between threads."""

    def __init__(self, connect: float, read: float) -> None:
        self._timeout = urllib3.Timeout(connect=connect, read=read)
        self._pools: dict[tuple[str, str, int], HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def request(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        scheme, host, port, target = _split(url)
        pool = self._pools.get((scheme, host, port)) or self._pool(scheme, host, port)
        try:
            response = pool.urlopen(method, target, body=body, headers={"User-Agent": USER_AGENT, **headers},
                                    retries=NO_RETRY, redirect=False, assert_same_host=False, preload_content=True)
        except ConnectTimeoutError as e:   # NewConnectionError and NameResolutionError are ones too
            raise Unsent("ConnectError" if isinstance(e, NewConnectionError) else "ConnectTimeout") from None
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise AnswerLost(_lost_name(e)) from None
        log.info('HTTP Request: %s %s "%s %d %s"', method, url, response.version_string,
                 response.status, response.reason)
        return Answer(response.status, response.headers.get("content-type", ""), response.data)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def _pool(self, scheme: str, host: str, port: int) -> HTTPConnectionPool:
        """Each origin's pool, made on its first call. Held here rather than in a PoolManager,
        whose lookup (the URL parsed, a key normalised) cost about a tenth of each call's CPU."""
        with self._lock:
            pool = self._pools.get((scheme, host, port))
            if pool is None:
                tls = {"ssl_context": _tls_context()} if scheme == "https" else {}
                cls = _HandshakeTellingPool if scheme == "https" else HTTPConnectionPool
                pool = cls(host, port, maxsize=MAX_IDLE, retries=False, timeout=self._timeout, **tls)
                self._pools[(scheme, host, port)] = pool
            return pool


@functools.lru_cache(maxsize=64)
def _split(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path and query): a client calls the same few URLs, each until its token
    changes, so each is parsed once."""
    parts = urllib3.util.parse_url(url)
    scheme = parts.scheme or "http"
    return scheme, parts.host or "", parts.port or port_by_scheme.get(scheme, 80), parts.request_uri


class _HandshakeFailed(NewConnectionError):
    """urllib3 reports a failed TLS handshake as it reports a failure to read the answer; this
    one says nothing was written."""


class _HandshakeTimedOut(ConnectTimeoutError):
    pass


class _HandshakeTellingConnection(HTTPSConnection):
    def connect(self) -> None:
        try:
            super().connect()
        except TimeoutError:
            raise _HandshakeTimedOut(self, "TLS handshake timed out") from None
        except (OSError, CertificateError) as e:   # ssl.SSLError is an OSError
            raise _HandshakeFailed(self, f"TLS handshake failed: {e}") from None


class _HandshakeTellingPool(HTTPSConnectionPool):
    ConnectionCls = _HandshakeTellingConnection


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Built once a process: loading the CA bundle takes ~20 ms."""
    return httpx.create_ssl_context()


def _lost_name(e: Exception) -> str:
    if isinstance(e, ReadTimeoutError):
        return "ReadTimeout"
    cause = e.args[1] if isinstance(e, ProtocolError) and len(e.args) > 1 else e
    if isinstance(cause, (http.client.HTTPException, ConnectionResetError, BrokenPipeError, ProtocolError)):
        return "RemoteProtocolError"
    return "ReadError"
