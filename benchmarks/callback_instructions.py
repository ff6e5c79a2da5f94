"""Instructions per WeCom callback, counted by callgrind, for `baoxiu serve` and the bare baseline.

    .venv/bin/python benchmarks/callback_instructions.py [--messages 150]

`callback.py` measures throughput and CPU time, which a shared machine's neighbours stretch by
half and more between two runs of the same code. This counts the instructions each server's whole
process (every thread, delivery and scheduler included) executes per message instead: valgrind's
callgrind gives the same count for the same code whatever else the machine does, so two versions
can be told apart where their throughput cannot. It is not a stand-in for throughput: the kernel's
work (fsync, the network) is not counted, and an instruction is not a fixed time.

Both servers run under callgrind with instrumentation off until the measured messages start (so
start-up is not counted), as `callback.py` starts them: the same demo data, configuration and
WeCom stand-in, the same pre-encrypted fault reports from a new owner each. A warm-up of 30
messages, then `--messages` sent one at a time, each until its reply reached the platform. Under
callgrind a server runs some fifty times slower, so the scheduler's periodic jobs fall into the
count about fifty times as often as in real time; `serve`'s idle work is printed on its own (the
same wall time with no messages) so that share can be told. Needs valgrind.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx

import callback as bench

VALGRIND = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
WARM_UP = 30


def counted(out: Path) -> int:
    """The instructions of a callgrind output file (its `totals:` line)."""
    for line in out.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit(f"no totals in {out}")


def instrument(pid: int, on: bool) -> None:
    subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(pid)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(name: str, argv: list[str], env: dict[str, str], port: int, replies: bool, calls: bench.Callbacks,
            messages: int, folder: Path) -> tuple[float, float]:
    """Instructions per message, and the instructions of the same wall time idle, per message."""
    out = folder / f"{name}.callgrind"
    with (folder / f"{name}.log").open("wb") as log:   # the child holds its own copy of the descriptor
        proc = subprocess.Popen([*VALGRIND, f"--callgrind-out-file={out}", *argv], env=env, cwd=bench.ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        bench.wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
        with httpx.Client(timeout=120) as client:
            url = f"http://127.0.0.1:{port}/wecom/callback"
            one_by_one(client, url, calls.batch(WARM_UP), replies)
            instrument(proc.pid, True)
            started = time.perf_counter()
            one_by_one(client, url, calls.batch(messages), replies)
            took = time.perf_counter() - started
            instrument(proc.pid, False)
            busy = _dumped(proc.pid, out)
            instrument(proc.pid, True)
            time.sleep(took)   # as long again with nothing to do: the periodic work's share
            instrument(proc.pid, False)
            idle = _dumped(proc.pid, out) - busy
    finally:
        proc.terminate()
        proc.wait(120)
    return busy / messages, idle / messages


def _dumped(pid: int, out: Path) -> int:
    """All instructions counted so far: each dump asked for is a numbered file beside `out`."""
    subprocess.run(["callgrind_control", "-d", str(pid)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return sum(counted(part) for part in out.parent.glob(out.name + ".*"))


def one_by_one(client: httpx.Client, url: str, calls: list[bench.Call], replies: bool) -> None:
    for call in calls:
        status = bench.taken(call, client.post(url, params=call[0], content=call[1]))
        if status != 200:
            raise SystemExit(f"the server answered {status}")
    if replies and None in bench.replies_in(calls, replies, within=120):
        raise SystemExit("a reply did not reach the platform")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=150)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("needs valgrind")
    api = ThreadingHTTPServer(("127.0.0.1", bench.free_port()), bench.FakeWecomApi)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    folder = Path(tempfile.mkdtemp(prefix="baoxiu-instr-"))
    calls = bench.Callbacks(int(time.time()) % 100000 * 10000)
    try:
        port, base_port = bench.free_port(), bench.free_port()
        env = bench.serve_env(folder, port, api.server_address[1])
        config = ["--config", str(bench.bench_config(folder))]
        for step in (["db", "upgrade"], ["demo"]):
            subprocess.run([str(bench.BIN / "baoxiu"), *config, *step], env=env, cwd=bench.ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        base_argv = [sys.executable, str(bench.ROOT / "benchmarks" / "callback_baseline.py"), "--port", str(base_port),
                     "--db", str(folder / "base.db"), "--token", bench.TOKEN, "--aes-key", bench.AES_KEY,
                     "--corp-id", bench.CORP_ID]
        base, _ = measure("baseline", base_argv, dict(os.environ), base_port, False, calls, args.messages, folder)
        ours, idle = measure("serve", [str(bench.BIN / "baoxiu"), *config, "serve"], env, port, True, calls,
                         args.messages, folder)
        print(f"bare baseline: {base / 1000:,.0f} k instructions per message")
        print(f"baoxiu serve: {ours / 1000:,.0f} k instructions per message, of which idle work in the same wall "
              f"time {idle / 1000:,.0f} k")
        print(f"instructions ours / baseline = {ours / base:.2f} ({(ours - idle) / base:.2f} without the idle work)")
    finally:
        api.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
