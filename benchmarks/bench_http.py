"""Advances through HTTP (``rectify serve`` and its JSON API) beside in-process advances, and the
item list page of a 10,000-item unit.

Every figure is measured in this run: the in-process rate (``campaigns.advance``, one write
transaction per advance, as ``bench_advance.py``'s single figure) on a copy of the same seeded
database, then eight clients, each on its own keep-alive connection, posting
``/api/items/CODE/advance`` to a real ``rectify serve`` process until every item is confirmed.
With a PostgreSQL URL (``--pg URL`` or ``RECTIFY_BENCH_PG``) the same is done there with
``--workers 2``, against in-process advances on PostgreSQL.

    python benchmarks/bench_http.py [--n 10000] [--inproc 2000] [--dir /dev/shm] [--pg URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from _seed import seed  # noqa: E402

BIN = os.path.dirname(sys.executable)
DAY = dt.date(2015, 8, 20)
PASSWORD = "benchmark pass phrase"


def prepare(url: str, n: int) -> tuple[list[str], str]:
    """``n`` reported items of 县财政局, a token and a password for the supervisor."""
    codes = seed(url, n)
    from campaigns.credentials import issue_token, set_password
    from campaigns.db import Database

    db = Database(url)
    with db.write() as conn:
        token = issue_token(conn, "super", actor="admin")
        set_password(conn, "super", PASSWORD, actor="admin")
        set_password(conn, "head", PASSWORD, actor="admin")
    db.engine.dispose()
    return codes, token


class InProcess:
    """Confirms in this process, one write transaction each, timed round by round."""

    def __init__(self, url: str) -> None:
        from campaigns.advance import advance
        from campaigns.db import Database
        from campaigns.people import resolve_actor

        self.db, self.fire = Database(url, pooled=True), advance  # as the server keeps them
        with self.db.read() as conn:
            self.actor = resolve_actor(conn, "super")
        self.seconds, self.count = 0.0, 0

    def round(self, codes: list[str], timed: bool = True) -> None:
        t = time.perf_counter()
        for code in codes:
            with self.db.write() as conn:
                self.fire(conn, "confirm", [code], self.actor, self.actor.key, DAY)
        if timed:
            self.seconds += time.perf_counter() - t
            self.count += len(codes)

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """A ``rectify serve`` process for the run."""

    def __init__(self, url: str, workers: int) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [os.path.join(BIN, "rectify"), "serve", "--port", str(self.port), "--db", url,
             "--workers", str(workers), "--no-schedule", "--as-of", DAY.isoformat()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                status = self.get("/login")[0]
                if status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("rectify serve did not start")

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, list[str]]:
        c = self.connection()
        try:
            c.request("GET", path, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read(), r.headers.get_all("set-cookie") or []
        finally:
            c.close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class Clients:
    """Eight clients, each on its own keep-alive connection, posting confirm on their share of
    a round's codes; timed round by round."""

    def __init__(self, served: Served, token: str, n_clients: int) -> None:
        self.served, self.n = served, n_clients
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.body = json.dumps({"trigger": "confirm", "version": "1.1"}).encode()
        self.latencies: list[float] = []
        self.seconds, self.count = 0.0, 0

    def round(self, codes: list[str], timed: bool = True) -> None:
        latencies: list[list[float]] = [[] for _ in range(self.n)]
        failures: list[str] = []

        head = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        tail = f"Content-Length: {len(self.body)}\r\n\r\n".encode() + self.body

        def one(i: int) -> None:
            # a bare HTTP/1.1 client on one kept-alive socket: the load, not the client, is
            # measured (http.client spent more of the shared cores than the server's parser)
            sock = socket.create_connection(("127.0.0.1", self.served.port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            mine = latencies[i]
            buf = b""
            for code in codes[i::self.n]:
                request = (f"POST /api/items/{code}/advance HTTP/1.1\r\nHost: bench\r\n"
                           f"{head}").encode() + tail
                t = time.perf_counter()
                sock.sendall(request)
                while b"\r\n\r\n" not in buf:
                    buf += sock.recv(65536)
                header, _sep, buf = buf.partition(b"\r\n\r\n")
                sized = re.search(rb"(?i)content-length: *(\d+)", header)
                length = int(sized.group(1)) if sized else 0
                while len(buf) < length:
                    buf += sock.recv(65536)
                buf = buf[length:]
                mine.append(time.perf_counter() - t)
                if not header.startswith(b"HTTP/1.1 200"):
                    failures.append(f"{code}: {header[:12]!r}")
            sock.close()

        threads = [threading.Thread(target=one, args=(i,)) for i in range(self.n)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t
        if failures:
            raise RuntimeError(f"{len(failures)} advances failed, e.g. {failures[:3]}")
        if timed:
            self.seconds += wall
            self.count += len(codes)
            self.latencies += [x for lat in latencies for x in lat]

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def interleaved(inproc: InProcess, http: Clients, local: list[str], remote: list[str],
                rounds: int) -> None:
    """Both take turns, a round each, so a burst of load on this shared machine (a disk
    busy with another program's fsyncs) falls on both; the first round of each warms up."""
    warm_l, warm_r = 50, 200
    inproc.round(local[:warm_l], timed=False)
    http.round(remote[:warm_r], timed=False)
    local, remote = local[warm_l:], remote[warm_r:]
    step_l, step_r = -(-len(local) // rounds), -(-len(remote) // rounds)
    for i in range(rounds):
        inproc.round(local[i * step_l:(i + 1) * step_l])
        http.round(remote[i * step_r:(i + 1) * step_r])


def p(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def sign_in(served: Served, key: str) -> str:
    """The session cookie of ``key``."""
    status, page, cookies = served.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.decode())
    assert csrf
    jar = "; ".join(c.split(";")[0] for c in cookies)
    c = served.connection()
    c.request("POST", "/login", body=urlencode({"key": key, "password": PASSWORD,
                                                "csrf": csrf.group(1)}).encode(),
              headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": jar})
    r = c.getresponse()
    r.read()
    session = [h.split(";")[0] for h in r.headers.get_all("set-cookie") or []
               if h.startswith("rectify_session=")]
    c.close()
    assert r.status == 303 and session, r.status
    return session[0]


def list_page(served: Served, key: str, pages: tuple[int, ...] = (1, 100, 200)) -> dict[int, float]:
    """Median seconds to answer ``/items?page=N`` for ``key`` (20 tries each, one connection)."""
    cookie = sign_in(served, key)
    out = {}
    conn = served.connection()
    for page in pages:
        times = []
        for _ in range(20):
            t = time.perf_counter()
            conn.request("GET", f"/items?page={page}", headers={"Cookie": cookie})
            r = conn.getresponse()
            body = r.read()
            times.append(time.perf_counter() - t)
            assert r.status == 200 and b"WGBW-2015-" in body, r.status
        out[page] = statistics.median(times)
    conn.close()
    return out


def backup(src: str, dst: str) -> str:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


def report(name: str, inproc: float, rate: float, lat: list[float]) -> None:
    print(f"{name}")
    print(f"  in-process, one transaction per advance  {inproc:8.0f}/s")
    print(f"  HTTP, 8 clients                           {rate:8.0f}/s = {rate / inproc:.2f}x "
          f"in-process (target >= 0.5x)")
    print(f"  latency over {len(lat)} requests: p50 {p(lat, 0.5) * 1000:.1f} ms, "
          f"p99 {p(lat, 0.99) * 1000:.1f} ms (target < 50 ms), max {lat[-1] * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="advances through HTTP (timed)")
    parser.add_argument("--inproc", type=int, default=2000, help="advances in process (timed)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--dir", default=None,
                        help="where the SQLite files go (/dev/shm: no fsync, the CPU alone)")
    parser.add_argument("--pg", default=os.environ.get("RECTIFY_BENCH_PG"),
                        help="an empty PostgreSQL database (postgresql+psycopg://…)")
    args = parser.parse_args()
    local_n, remote_n = args.inproc + 50, args.n + 200
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        base = os.path.join(tmp, "base.db")
        codes, token = prepare(base, local_n + remote_n)
        inproc = InProcess(backup(base, os.path.join(tmp, "a.db")))
        served = Served(backup(base, os.path.join(tmp, "b.db")), 1)
        try:
            http = Clients(served, token, args.clients)
            interleaved(inproc, http, codes[:local_n], codes[local_n:], args.rounds)
            times = list_page(served, "head")
        finally:
            served.stop()
        report("SQLite, rectify serve (1 worker)", inproc.rate, http.rate, sorted(http.latencies))
        print(f"  item list page of a {len(codes)}-item unit, 50 a page: "
              + ", ".join(f"page {k} {v * 1000:.1f} ms" for k, v in times.items())
              + " (target < 100 ms)")
    if args.pg:
        codes, token = prepare(args.pg, local_n + remote_n)
        inproc = InProcess(args.pg)
        served = Served(args.pg, 2)
        try:
            http = Clients(served, token, args.clients)
            interleaved(inproc, http, codes[:local_n], codes[local_n:], args.rounds)
        finally:
            served.stop()
        report("PostgreSQL, rectify serve --workers 2", inproc.rate, http.rate,
               sorted(http.latencies))


if __name__ == "__main__":
    main()
