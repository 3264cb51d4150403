"""Shared pieces of the black-box reliability tests: a relman-server process on a free loopback
port with its own data folder (and its own PostgreSQL database), an HTTP client that keeps one
connection per thread, and a tally of answers per endpoint. Standard library only."""

from __future__ import annotations

import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import http.client
import urllib.parse
import uuid

HTTP_TIMEOUT = 20.0
START_TIMEOUT = 60.0
IDLE_REOPEN = 2.0  # seconds a kept-alive connection may sit unused before it is reopened


class TestFailure(Exception):
    """A reliability property did not hold; the message says what failed. `figures` are the
    measurements taken before the failure was found, printed with it."""

    def __init__(self, message: str, figures: list[str] | None = None):
        super().__init__(message)
        self.figures = figures or []


def _die_with_parent() -> None:
    """Runs in the server's child process before exec: on Linux, SIGKILL it when the test runner
    dies (PR_SET_PDEATHSIG), so even a killed run leaves no server behind."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except Exception:
        pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def excerpt(body: bytes | str, n: int = 240) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    body = " ".join(body.split())
    return body if len(body) <= n else body[:n] + "…"


# ---------------------------------------------------------------------------------------------
# Backends


class Backend:
    """Where a server keeps its data. `new_database()` returns a URL for `--database-url`, or None
    for the embedded SQLite file in the data folder; `drop()` removes what was created."""

    name = "?"

    def new_database(self) -> str | None:
        raise NotImplementedError

    def drop(self, url: str | None) -> None:
        pass


class SqliteBackend(Backend):
    name = "sqlite"

    def new_database(self) -> str | None:
        return None


class PostgresBackend(Backend):
    """A fresh database per server on the given PostgreSQL cluster, made and dropped with psql."""

    name = "postgres"

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        parsed = urllib.parse.urlsplit(self.base_url)
        self.admin_url = urllib.parse.urlunsplit(parsed._replace(path="/postgres"))

    def _psql(self, sql: str) -> None:
        r = subprocess.run(
            ["psql", self.admin_url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
            capture_output=True, text=True, timeout=60,
        )
        if r.returncode != 0:
            raise TestFailure(f"psql failed on {self.admin_url}: {sql}: {r.stderr.strip()}")

    def check(self) -> None:
        self._psql("SELECT 1")

    def new_database(self) -> str | None:
        name = "relman_rel_" + uuid.uuid4().hex[:16]
        self._psql(f'CREATE DATABASE "{name}"')
        parsed = urllib.parse.urlsplit(self.base_url)
        return urllib.parse.urlunsplit(parsed._replace(path="/" + name))

    def drop(self, url: str | None) -> None:
        if not url:
            return
        name = urllib.parse.urlsplit(url).path.lstrip("/")
        try:
            self._psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except TestFailure as e:  # cleanup must not hide the test's own result
            print(f"  warning: {e}")


# ---------------------------------------------------------------------------------------------
# The server process


class Server:
    """One relman-server on a free loopback port, a temp data folder and (for PostgreSQL) a fresh
    database. `start()` waits for /readyz; `kill9()` sends SIGKILL; `start()` again reuses the same
    data folder and database; `close()` stops it and removes everything."""

    def __init__(self, binary: str, backend: Backend, label: str):
        self.binary = binary
        self.backend = backend
        self.label = label
        self.data_dir = tempfile.mkdtemp(prefix=f"relman-rel-{label}-")
        self.database_url = backend.new_database()
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.token = ""
        self.starts = 0
        self._log = None
        # Extra environment for the server process (e.g. a secret key shared by replicas).
        self.env: dict[str, str] = {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sqlite_path(self) -> str:
        return os.path.join(self.data_dir, "relman.db")

    @property
    def log_path(self) -> str:
        return os.path.join(self.data_dir, f"server-{self.starts}.log")

    def start(self) -> None:
        self.starts += 1
        self.port = free_port()
        args = [self.binary, "serve", "--data-dir", self.data_dir,
                "--listen", f"127.0.0.1:{self.port}"]
        if self.database_url:
            args += ["--database-url", self.database_url]
        # The test decides the configuration alone: no RELMAN_* from the caller's environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("RELMAN_")}
        env.setdefault("RUST_LOG", "warn")
        # The checks' registries (docker-registry, fault proxies) listen on 127.0.0.1, which the
        # strict egress default refuses; a test may still set its own policy in `self.env`.
        env["RELMAN_EGRESS_ALLOW"] = "loopback"
        env.update(self.env)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise TestFailure(f"server exited with {self.proc.returncode} during start; "
                                  f"log: {excerpt(self.log_tail(), 600)}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/readyz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TestFailure(f"server not ready on {self.base} after {START_TIMEOUT:.0f}s; "
                                  f"log: {excerpt(self.log_tail(), 600)}")
            time.sleep(0.05)
        with open(os.path.join(self.data_dir, "admin-token")) as f:
            self.token = f.read().strip()

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._close_log()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self._close_log()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _close_log(self) -> None:
        if self._log:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 15) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def error_lines(self, limit: int = 6) -> list[str]:
        """The server's ERROR log lines over every start, timestamps stripped, most frequent
        first with their counts: the server-side reason for the failures a test saw."""
        counts: collections.Counter = collections.Counter()
        for i in range(1, self.starts + 1):
            try:
                with open(os.path.join(self.data_dir, f"server-{i}.log"), "rb") as f:
                    for raw in f:
                        line = raw.decode("utf-8", "replace").strip()
                        if "ERROR" in line:
                            counts[excerpt(line[line.index("ERROR"):], 300)] += 1
            except OSError:
                pass
        return [f"x{n} {msg}" for msg, n in counts.most_common(limit)]

    def close(self) -> None:
        self.stop()
        if os.environ.get("RELIABILITY_KEEP"):  # for a post-mortem: keep logs, files, database
            print(f"  kept: data dir {self.data_dir}" + (f", database {self.database_url}"
                                                        if self.database_url else ""))
            return
        self.backend.drop(self.database_url)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def client(self) -> "Client":
        return Client(self)

    def __enter__(self) -> "Server":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# HTTP


class Response:
    __slots__ = ("status", "body", "headers")

    def __init__(self, status: int, body: bytes, headers: dict[str, str]):
        self.status = status
        self.body = body
        self.headers = headers

    def json(self):
        return json.loads(self.body) if self.body else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Client:
    """Calls /api/v1 with the admin token; one keep-alive connection per thread. A transport
    failure (refused, reset, timeout) is answered as status 0 with the error in the body."""

    def __init__(self, server: Server):
        self.server = server
        self.local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        c = getattr(self.local, "conn", None)
        port = getattr(self.local, "port", None)
        # The server closes keep-alive connections idle for a few seconds; a request written into
        # one that is being closed fails without reaching the server. Reopen rather than risk it.
        idle = time.monotonic() - getattr(self.local, "used", 0.0)
        if c is None or port != self.server.port or idle > IDLE_REOPEN:
            if c is not None:
                c.close()
            c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=HTTP_TIMEOUT)
            self.local.conn = c
            self.local.port = self.server.port
        return c

    def reset(self) -> None:
        c = getattr(self.local, "conn", None)
        if c is not None:
            c.close()
        self.local.conn = None

    def call(self, method: str, path: str, body=None) -> Response:
        headers = {"Authorization": "Bearer " + self.server.token, "Accept": "application/json, application/problem+json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        url = path if path.startswith(("/api/", "/healthz", "/readyz")) else "/api/v1" + path
        # No retry: a request sent is a request the server may have acted on.
        # No retry of writes: a request sent is a request the server may have acted on. A GET on
        # a kept-alive connection the server had just closed is retried once on a fresh one.
        for attempt in (0, 1):
            c = self._conn()
            reused = c.sock is not None
            try:
                c.request(method, url, body=data, headers=headers)
                r = c.getresponse()
                payload = r.read()
                self.local.used = time.monotonic()
                if (r.getheader("Connection") or "").lower() == "close":
                    self.reset()
                return Response(r.status, payload, {k.lower(): v for k, v in r.getheaders()})
            except (OSError, http.client.HTTPException) as e:
                self.reset()
                stale = isinstance(e, (http.client.RemoteDisconnected, ConnectionResetError,
                                       BrokenPipeError))
                if attempt == 0 and method == "GET" and reused and stale:
                    continue
                return Response(0, f"{type(e).__name__}: {e}".encode(), {})
        raise AssertionError("unreachable")

    def must(self, method: str, path: str, body=None, expect=(200, 201, 204)) -> Response:
        r = self.call(method, path, body)
        if r.status not in expect:
            raise TestFailure(f"setup {method} {path} answered {r.status}: {excerpt(r.body)}")
        return r


# ---------------------------------------------------------------------------------------------
# Tally


class Tally:
    """Counts answers by (endpoint, status) and keeps the first body seen for each pair."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.first_body: dict[tuple[str, int], str] = {}

    def add(self, endpoint: str, r: Response) -> None:
        with self.lock:
            self.counts[endpoint][r.status] += 1
            key = (endpoint, r.status)
            if key not in self.first_body:
                self.first_body[key] = excerpt(r.body)

    def total(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())

    def table(self, endpoints: list[str] | None = None) -> str:
        endpoints = endpoints or sorted(self.counts)
        statuses = sorted({s for c in self.counts.values() for s in c})
        w = max(len(e) for e in endpoints) if endpoints else 10
        head = f"    {'endpoint':<{w}} " + "".join(f"{(str(s) if s else 'conn'):>7}" for s in statuses) + "  total"
        rows = [head]
        for e in endpoints:
            c = self.counts.get(e, collections.Counter())
            rows.append(f"    {e:<{w}} " + "".join(f"{(c[s] or '.'):>7}" for s in statuses)
                        + f"{sum(c.values()):>7}")
        return "\n".join(rows)

    def bad(self, allowed) -> list[str]:
        """One line per (endpoint, status) outside `allowed(endpoint, status)`."""
        out = []
        for e in sorted(self.counts):
            for s, n in sorted(self.counts[e].items()):
                if not allowed(e, s):
                    what = "no answer (connection error)" if s == 0 else f"{s}"
                    out.append(f"{e} answered {what} x{n}; first body: {self.first_body[(e, s)]}")
        return out
