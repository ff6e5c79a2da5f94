"""Encrypted WeCom app callbacks from distinct owners against `baoxiu serve` and a bare baseline.

    .venv/bin/python benchmarks/callback.py [--saturate 400] [--rate 10] [--seconds 30]
    .venv/bin/python benchmarks/callback.py --quick        # 100 messages, 10 s open loop

Starts, one after the other on a free port each: the bare baseline (benchmarks/callback_baseline.py:
FastAPI, the same WeCom signature check, decryption and XML parse, one committed SQLite row in WAL
mode) and `baoxiu serve` on its embedded default (SQLite, in-process store and scheduler, the demo
data, WeCom enabled against a local stand-in of the WeCom API that accepts every send). Both get
the same kind of pre-encrypted callbacks (a fault report from a different owner each, a fresh
MsgId each). Per server:
- saturation: 8 callbacks in flight until `--saturate` are answered: req/s, and the server's CPU
  milliseconds per message (its process's user + system time, from /proc);
- open loop: `--rate` callbacks a second for `--seconds`, each sent at its scheduled time and its
  latency counted from that time (so a stalled server is not hidden by a waiting client):
  p50 / p99, and the slowest second's throughput against the mean.
Then the ratios ours / baseline. The load generator is pinned to the last core and the servers to
the first where the machine allows (os.sched_setaffinity). Targets (issue 14): throughput at least
50% of the baseline; p99 under 50 ms; no second below half the mean.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from wechatpy.enterprise.crypto import PrpCrypto

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TOKEN, CORP_ID, AGENT_ID = "benchtoken", "wwbench0000000001", 1000002
AES_KEY = base64.b64encode(b"b" * 32).decode().rstrip("=")
REPORTS = ("厨房水龙头漏水了，3栋2单元{room}，电话138{phone}", "马桶堵了 翠湖花园3号楼2门{room}",
           "热水器不出热水，12栋1单元{room}", "衣柜移门掉下来了 5栋{room}")


class FakeWecomApi(BaseHTTPRequestHandler):
    """Stands in for qyapi.weixin.qq.com: a token, and ok to every send."""

    def do_GET(self) -> None:
        self._answer({"errcode": 0, "errmsg": "ok", "access_token": "bench-token", "expires_in": 7200})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self._answer({"errcode": 0, "errmsg": "ok", "msgid": "m", "response_code": "r"})

    def _answer(self, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(cpu: int) -> Callable[[], None]:
    def apply() -> None:
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {cpu})
    return apply


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Callbacks:
    """Encrypted, signed callbacks as WeCom builds them; each from a new owner with a new MsgId."""

    def __init__(self, start: int) -> None:
        self.next = start
        self.prp = PrpCrypto(base64.b64decode(AES_KEY + "="))

    def batch(self, n: int) -> list[tuple[dict[str, str], bytes]]:
        out = []
        for _ in range(n):
            i, self.next = self.next, self.next + 1
            text = REPORTS[i % len(REPORTS)].format(room=501 + i % 400, phone=f"{i:08d}")
            xml = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[owner{i:06d}]]>"
                   f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                   f"<Content><![CDATA[{text}]]></Content><MsgId>{9_000_000_000 + i}</MsgId>"
                   f"<AgentID>{AGENT_ID}</AgentID></xml>")
            encrypt = self.prp.encrypt(xml, CORP_ID).decode()
            stamp, nonce = str(int(time.time())), f"n{i}"
            sig = hashlib.sha1("".join(sorted([TOKEN, stamp, nonce, encrypt])).encode()).hexdigest()
            body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
                    f"<AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>").encode()
            out.append(({"msg_signature": sig, "timestamp": stamp, "nonce": nonce}, body))
        return out


@dataclass
class Figures:
    rps: float = 0.0
    cpu_ms: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    worst_second: float = 0.0   # slowest second's answers / the mean per second
    errors: int = 0


def saturate(client: httpx.Client, url: str, pid: int, calls: list[tuple[dict[str, str], bytes]],
             figures: Figures) -> None:
    def post(call: tuple[dict[str, str], bytes]) -> int:
        return client.post(url, params=call[0], content=call[1]).status_code

    cpu, start = cpu_seconds(pid), time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(post, calls))
    elapsed = time.perf_counter() - start
    figures.rps = len(calls) / elapsed
    figures.cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / len(calls)
    figures.errors += sum(1 for c in codes if c != 200)


def open_loop(client: httpx.Client, url: str, calls: list[tuple[dict[str, str], bytes]], rate: float,
              figures: Figures) -> None:
    latencies: list[float] = []
    done_at: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def post(scheduled: float, call: tuple[dict[str, str], bytes]) -> None:
        code = client.post(url, params=call[0], content=call[1]).status_code
        now = time.perf_counter()
        with lock:
            latencies.append((now - scheduled) * 1000)
            done_at.append(now - start)
            figures.errors += code != 200

    with ThreadPoolExecutor(64) as pool:
        for i, call in enumerate(calls):
            scheduled = start + i / rate
            time.sleep(max(0.0, scheduled - time.perf_counter()))
            pool.submit(post, scheduled, call)
    latencies.sort()
    figures.p50 = statistics.median(latencies)
    figures.p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)]
    seconds = [0] * (int(len(calls) / rate) or 1)
    for t in done_at:
        if 0 <= t < len(seconds):
            seconds[int(t)] += 1
    figures.worst_second = min(seconds) / (sum(seconds) / len(seconds)) if sum(seconds) else 0.0


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


@contextmanager
def server(argv: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, preexec_fn=pin(0), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def measure(argv: list[str], env: dict[str, str], port: int, calls: Callbacks, args: argparse.Namespace) -> Figures:
    figures = Figures()
    url = f"http://127.0.0.1:{port}/wecom/callback"
    with server(argv, env, port) as proc, httpx.Client(timeout=30, limits=httpx.Limits(max_connections=64)) as client:
        saturate(client, url, proc.pid, calls.batch(30), Figures())   # warm up
        saturate(client, url, proc.pid, calls.batch(args.saturate), figures)
        open_loop(client, url, calls.batch(int(args.rate * args.seconds)), args.rate, figures)
    return figures


def serve_env(folder: Path, port: int, api_port: int) -> dict[str, str]:
    return {**os.environ, "BAOXIU_DATABASE_URL": f"sqlite:///{folder / 'baoxiu.db'}",
            "BAOXIU_SERVER_PORT": str(port), "BAOXIU_SERVICE_MEDIA_DIR": str(folder / "media"),
            "BAOXIU_WECOM_ENABLED": "true", "BAOXIU_WECOM_CORP_ID": CORP_ID, "BAOXIU_WECOM_AGENT_ID": str(AGENT_ID),
            "BAOXIU_WECOM_SECRET": "bench-secret", "BAOXIU_WECOM_TOKEN": TOKEN,
            "BAOXIU_WECOM_ENCODING_AES_KEY": AES_KEY, "BAOXIU_WECOM_API_BASE_URL": f"http://127.0.0.1:{api_port}"}


def report(name: str, f: Figures) -> None:
    print(f"{name}: {f.rps:.1f} req/s saturated, {f.cpu_ms:.2f} ms CPU per message; open loop p50 {f.p50:.1f} ms,"
          f" p99 {f.p99:.1f} ms, slowest second {f.worst_second:.2f} of the mean; {f.errors} non-200")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saturate", type=int, default=400)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="100 messages saturated, 10 s open loop")
    args = parser.parse_args()
    if args.quick:
        args.saturate, args.seconds = 100, 10.0
    pin((os.cpu_count() or 1) - 1)()
    api = ThreadingHTTPServer(("127.0.0.1", free_port()), FakeWecomApi)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    folder = Path(tempfile.mkdtemp(prefix="baoxiu-bench-"))
    calls = Callbacks(int(time.time()) % 100000 * 10000)
    try:
        port = free_port()
        base_argv = [sys.executable, str(ROOT / "benchmarks" / "callback_baseline.py"), "--port", str(port), "--db",
                     str(folder / "base.db"), "--token", TOKEN, "--aes-key", AES_KEY, "--corp-id", CORP_ID]
        baseline = measure(base_argv, dict(os.environ), port, calls, args)
        report("bare baseline", baseline)
        port = free_port()
        env = serve_env(folder, port, api.server_address[1])
        config = ["--config", str(ROOT / "config.example.toml")]
        for step in (["db", "upgrade"], ["demo"]):
            subprocess.run([str(BIN / "baoxiu"), *config, *step], env=env, cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        ours = measure([str(BIN / "baoxiu"), *config, "serve"], env, port, calls, args)
        report("baoxiu serve", ours)
        print(f"throughput ours / baseline = {ours.rps / baseline.rps:.3f} (target ≥ 0.50); CPU per message "
              f"ours / baseline = {ours.cpu_ms / baseline.cpu_ms:.1f}; p99 {ours.p99:.1f} ms / 50 ms target = "
              f"{ours.p99 / 50:.2f}; slowest second {ours.worst_second:.2f} of the mean (target ≥ 0.5)")
    finally:
        api.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
