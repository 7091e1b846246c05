"""`dhakira serve --workers N`: several processes share one port, and stop together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from dhakira.archive import Archive


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def start(tmp_path: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    """`dhakira serve --workers N` on a free loopback port, over a new empty archive."""
    root = tmp_path / "archive"
    Archive.create(root).close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "dhakira", "serve", str(root), "--port", str(port),
         "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return server, port


def wait_gone(pids: set[int], why: str) -> None:
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        assert time.monotonic() < deadline, why
        time.sleep(0.1)


def test_workers_share_the_port_and_stop_with_the_server(tmp_path: Path) -> None:
    server, port = start(tmp_path, 3)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "did not start"
            time.sleep(0.2)
        workers = children_of(server.pid)
        assert len(workers) == 2  # and the server itself serves too
        with httpx.Client(timeout=5) as client:
            codes = [client.get(f"http://127.0.0.1:{port}/login").status_code for _ in range(20)]
        assert codes == [200] * 20
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    wait_gone(workers, "workers outlived the server")


def test_workers_stop_when_the_server_is_killed(tmp_path: Path) -> None:
    server, _ = start(tmp_path, 2)
    deadline = time.monotonic() + 30
    while len(children_of(server.pid)) < 1:
        assert time.monotonic() < deadline, "no worker started"
        time.sleep(0.1)
    workers = children_of(server.pid)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    wait_gone(workers, "a worker outlived a killed server")
