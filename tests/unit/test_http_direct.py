"""The replies' HTTP path: a kept-alive connection the platform closed while it sat idle is not
used again (the call would be lost half-way), and what failed is told apart as before: nothing
written, or written with its answer lost."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.channels.http_direct import AnswerLost, DirectPoster, Unsent


class Platform(ThreadingHTTPServer):
    received: list[bytes]
    # "close": answers, then hangs up without saying so; "silent": takes it, never answers;
    # "then silent": answers this one, takes the next without answering
    mode: str
    connections = 0

    def get_request(self) -> tuple[socket.socket, object]:
        self.connections += 1
        return super().get_request()


def _handler() -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            server: Platform = self.server  # type: ignore[assignment]
            server.received.append(self.rfile.read(int(self.headers["Content-Length"])))
            if server.mode == "then silent":
                server.mode = "silent"
            elif server.mode == "silent":
                self.close_connection = True
                return
            body = b'{"errcode":0}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = server.mode == "close"

        def log_message(self, *args: object) -> None:
            pass
    return Handler


@pytest.fixture
def platform() -> Iterator[Platform]:
    server = Platform(("127.0.0.1", 0), _handler())
    server.received, server.mode = [], "keep"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def url(server: Platform) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/message/send?access_token=t"


def test_a_connection_the_platform_closed_while_idle_is_not_used_again(platform: Platform) -> None:
    platform.mode = "close"
    poster = DirectPoster(3.0, 5.0)
    for n in range(3):
        answer = poster.request("POST", url(platform), f"message {n}".encode(), {})
        assert answer.status == 200
        time.sleep(0.05)   # the platform's hang-up reaches us while the connection is idle
    assert platform.received == [b"message 0", b"message 1", b"message 2"] and platform.connections == 3
    poster.close()


def test_a_kept_alive_connection_carries_the_next_call(platform: Platform) -> None:
    poster = DirectPoster(3.0, 5.0)
    for n in range(3):
        assert poster.request("POST", url(platform), f"message {n}".encode(), {}).status == 200
    assert platform.received == [b"message 0", b"message 1", b"message 2"] and platform.connections == 1
    poster.close()


def test_a_refused_connection_is_not_sent_and_a_lost_answer_may_have_arrived(platform: Platform) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]   # nothing listens there once the socket is closed
    with pytest.raises(Unsent):
        DirectPoster(3.0, 5.0).request("POST", f"http://127.0.0.1:{port}/x", b"{}", {})
    platform.mode = "silent"
    with pytest.raises(AnswerLost):
        DirectPoster(3.0, 5.0).request("POST", url(platform), b"{}", {})
    assert platform.received == [b"{}"]


def test_a_call_the_platform_took_on_a_kept_alive_connection_and_never_answered_is_not_sent_again(
        platform: Platform) -> None:
    """What a connection closed by the platform just as the call went out looks like from here:
    the call may have been read, so only the caller (the outbox) may decide to say it again."""
    poster = DirectPoster(3.0, 5.0)
    platform.mode = "then silent"
    assert poster.request("POST", url(platform), b"first", {}).status == 200
    with pytest.raises(AnswerLost) as lost:
        poster.request("POST", url(platform), b"second", {})
    assert lost.value.name == "RemoteProtocolError"
    assert platform.received == [b"first", b"second"] and platform.connections == 1
    poster.close()


def test_a_platform_that_does_not_speak_tls_fails_before_anything_is_written(platform: Platform) -> None:
    https = url(platform).replace("http://", "https://")
    with pytest.raises(Unsent) as unsent:
        DirectPoster(3.0, 5.0).request("POST", https, b"{}", {})
    assert unsent.value.name == "ConnectError" and platform.received == []


@pytest.mark.parametrize("answer, kept", [
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"6\r\n{\"errc\r\n7\r\node\":0}\r\n0\r\n\r\n", True),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n"
     b"{\"errcode\":0}", False),
    (b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"errcode\":0}", False),   # to the close
])
def test_chunked_closing_and_close_delimited_answers_are_read_whole(answer: bytes, kept: bool) -> None:
    """Answers framed each way HTTP allows; a connection the answer says will close is not kept."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def serve() -> None:
        conn, _ = listener.accept()
        accepted.append(conn)
        request = b""
        while b"\r\n\r\n" not in request or not request.endswith(b"{}"):
            request += conn.recv(4096)
        conn.sendall(answer)
        if not kept:
            conn.close()

    server = threading.Thread(target=serve)
    server.start()
    poster = DirectPoster(3.0, 5.0)
    got = poster.request("POST", f"http://127.0.0.1:{listener.getsockname()[1]}/send", b"{}", {})
    server.join(5)
    assert (got.status, got.content_type, got.body) == (200, "application/json", b'{"errcode":0}')
    assert sum(len(idle) for idle in poster._idle.values()) == (1 if kept else 0)
    poster.close()
    for conn in accepted:
        conn.close()
    listener.close()


def _self_signed() -> tuple[bytes, bytes]:
    """A certificate for localhost and its key, PEM."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=36500))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def test_calls_over_tls_check_the_certificate_and_keep_the_connection(
        platform: Platform, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl
    from pathlib import Path

    from bot.channels import http_direct

    cert, key = _self_signed()
    folder = Path(str(tmp_path))
    (folder / "cert.pem").write_bytes(cert)
    (folder / "key.pem").write_bytes(key)
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    platform.socket = served.wrap_socket(platform.socket, server_side=True)
    https = url(platform).replace("http://127.0.0.1", "https://localhost")

    # The system's trust store does not know this certificate: refused before anything is written.
    with pytest.raises(Unsent):
        DirectPoster(3.0, 5.0).request("POST", https, b"{}", {})
    assert platform.received == []

    monkeypatch.setattr(http_direct, "_tls_context", lambda: ssl.create_default_context(cadata=cert.decode()))
    poster = DirectPoster(3.0, 5.0)
    for n in range(2):
        answer = poster.request("POST", https, f"message {n}".encode(), {})
        assert (answer.status, answer.body) == (200, b'{"errcode":0}')
    assert platform.received == [b"message 0", b"message 1"]
    poster.close()
