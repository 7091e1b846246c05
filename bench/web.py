"""The web archive under load: search page and item page latency, server memory.

    python bench/web.py [--items 100000] [--clients 20] [--seconds 20]

Synthetic items (the same generator as bench/search.py: Arabic and English texts, names,
capture dates, contributors) are written straight into the catalog and indexed by the real
indexer; 2 % of them are restricted, and the clients sign in as a *viewer*, so every query
carries the access filter. `dhakira serve` runs in its own process on loopback; N clients
(threads, one keep-alive connection each) ask for search pages (random queries from
bench/search.py, with facets) and item pages (random items) as fast as they can. Prints p50 /
p95 / p99 per page, requests per second, and the server's resident memory (VmRSS and VmHWM).
The baseline, measured in the same run: the same searches straight through the engine, in
one thread, without HTTP or templates.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import httpx

from _common import cleanup, workdir
from dhakira import access, accounts
from dhakira.archive import Archive
from dhakira.progress import Quiet
from dhakira.search.index import index_pending
from search import QUERIES, fill

PASSWORD = "bench password 1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss(pid: int) -> tuple[int, int]:
    """Resident and peak memory in MB of the server and its worker processes, summed."""
    now = peak = 0
    for p in [pid, *workers_of(pid)]:
        fields = {}
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        now += int(fields["VmRSS"].split()[0]) // 1024
        peak += int(fields["VmHWM"].split()[0]) // 1024
    return now, peak


def cpu_of(pid: int) -> float:
    """CPU seconds used so far by the server and its worker processes."""
    total = 0
    for p in [pid, *workers_of(pid)]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def workers_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def prepare(root: Path, n: int) -> list[str]:
    archive = Archive.create(root)
    fill(archive, n)
    t = time.perf_counter()
    index_pending(archive.catalog.conn, Quiet())
    print(f"{n} items written and indexed ({time.perf_counter() - t:.1f} s indexing)")
    conn = archive.catalog.conn
    accounts.add_user(conn, "viewer", PASSWORD, "viewer")
    shas = [r[0] for r in conn.execute("SELECT sha256 FROM items")]
    with archive.catalog.transaction():
        conn.executemany(
            "INSERT INTO restrictions(item_id, role, created_at) VALUES (?, 'investigator', 'x')",
            [(i,) for i in range(1, n + 1, 50)],
        )
    archive.close()
    return shas


def baseline(root: Path, rounds: int) -> list[float]:
    with Archive(root) as archive:
        viewer = accounts.user(archive.catalog.conn, "viewer")
        times = []
        for _ in range(rounds):
            for q in QUERIES:
                t = time.perf_counter()
                access.View(archive, viewer).search(q, limit=20)  # as a request makes it
                times.append(time.perf_counter() - t)
    return times


def client(port: int, cookie: str, shas: list[str], until: float, seed: int,
           out: dict[str, list[float]], errors: list[str]) -> None:  # fmt: skip
    """One keep-alive connection, asking as fast as answers come (a closed loop, no pause).
    The standard library's http.client: the load generator shares the server's two cores,
    and a lighter client leaves more of them to the server."""
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie, "Accept-Encoding": "gzip"}  # as a browser asks
    while time.monotonic() < until:
        kind = rng.choice(("search", "item"))
        if kind == "search":
            url = "/search?" + urllib.parse.urlencode({"q": rng.choice(QUERIES)})
        else:
            url = f"/items/{rng.choice(shas)}"
        t = time.perf_counter()
        conn.request("GET", url, headers=headers)
        r = conn.getresponse()
        r.read()
        elapsed = time.perf_counter() - t
        if r.status not in (200, 404):
            errors.append(f"{r.status} {url}")
        out[kind].append(elapsed)
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument(
        "--workers",
        type=int,
        default=0,
        help="dhakira serve --workers (0: its default, one per core)",
    )
    ap.add_argument("--keep", type=Path, help="Keep the synthetic archive here; reuse it if there.")
    args = ap.parse_args()
    work = workdir("web")
    root = args.keep or Path(work) / "a"
    server = None
    try:
        if root.exists():
            with Archive(root) as a:
                shas = [r[0] for r in a.catalog.conn.execute("SELECT sha256 FROM items")]
            print(f"reusing {root}: {len(shas)} items")
        else:
            shas = prepare(root, args.items)
        base_times = baseline(root, 3)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dhakira",
                "serve",
                str(root),
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            stdout=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/login", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        with httpx.Client(base_url=base) as c:
            page = c.get("/login").text
            csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            r = c.post("/login", data={"csrf": csrf, "name": "viewer", "password": PASSWORD})
            assert r.status_code == 303, r.text
            cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
        idle = rss(server.pid)[0]
        out: dict[str, list[float]] = {"search": [], "item": []}
        errors: list[str] = []
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=client, args=(port, cookie, shas, until, i, out, errors))
            for i in range(args.clients)
        ]
        load_cpu, server_cpu = time.process_time(), cpu_of(server.pid)
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        load_cpu, server_cpu = time.process_time() - load_cpu, cpu_of(server.pid) - server_cpu
        now, peak = rss(server.pid)
        total = len(out["search"]) + len(out["item"])
        rate = total / args.seconds
        print(
            f"{args.clients} clients for {args.seconds:.0f} s over loopback, signed in as a"
            f" viewer; {total} requests ({rate:.0f}/s), {len(errors)} errors"
        )
        for kind, limit in (("search", 200), ("item", 100)):
            v = out[kind]
            p50, p95, p99 = pct(v, 0.5), pct(v, 0.95), pct(v, 0.99)
            print(
                f"  {kind:<7} page  n={len(v):<6} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
                f"  p99 {p99:6.1f} ms   (target p95 < {limit} ms)"
            )
        b50, b95 = statistics.median(base_times) * 1000, pct(base_times, 0.95)
        ratio = pct(out["search"], 0.95) / b95
        print(
            f"  baseline: engine.search alone, one thread: p50 {b50:.1f} ms  p95 {b95:.1f} ms;"
            f" search page p95 / engine p95 = {ratio:.1f}×"
        )
        print(
            f"  server RSS: {idle} MB idle after sign-in, {now} MB after the run,"
            f" peak {peak} MB (target < 500 MB)"
        )
        print(
            f"  CPU: server {server_cpu:.1f} s ({server_cpu / total * 1000:.1f} ms a request),"
            f" load generator {load_cpu:.1f} s ({load_cpu / total * 1000:.1f} ms a request),"
            f" over {args.seconds:.0f} s on {os.cpu_count()} cores"
        )
        if errors:
            print("  first errors:", errors[:5])
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        cleanup(work)


if __name__ == "__main__":
    main()
