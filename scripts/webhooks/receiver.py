"""A webhook receiver as a user would write one: a threaded `http.server` on 127.0.0.1 that checks
every request with PyPI `standardwebhooks` (`Webhook(secret).verify(body, headers)`) and records
what it saw. It can be told to answer 503 or 410, to be slow, or be stopped (its listening socket
closed) and started again on the same port."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time

from standardwebhooks import Webhook, WebhookVerificationError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Seen:
    """One request as the receiver got it."""

    __slots__ = ("webhook_id", "type", "data", "verified", "error", "answered", "body", "headers",
                 "path", "at")

    def __init__(self, webhook_id, type_, data, verified, error, answered, body, headers, path):
        self.webhook_id = webhook_id
        self.type = type_
        self.data = data
        self.verified = verified
        self.error = error
        self.answered = answered
        self.body = body
        self.headers = headers
        self.path = path
        self.at = time.time()

    def __repr__(self) -> str:
        return (f"<{self.type} webhook-id={self.webhook_id} verified={self.verified} "
                f"answered={self.answered}>")


class _Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


class Receiver:
    """`mode` is `ok` (200), `503` or `410`; a request that fails verification is answered 401.
    `delay` seconds are slept before answering (a slow endpoint). `secret` may be set later."""

    def __init__(self, secret: str | None = None, delay: float = 0.0, label: str = "receiver"):
        self.secret = secret
        self.delay = delay
        self.label = label
        self.mode = "ok"
        self.port = free_port()
        self.lock = threading.Lock()
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._active: dict[int, tuple[float, str | None]] = {}  # requests being answered
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{self.label}"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            # HTTP/1.0: one request per connection, so that a stopped receiver serves nothing
            # on a kept-alive connection either.
            protocol_version = "HTTP/1.0"

            def log_message(self, *_):
                pass

            def do_POST(self):
                receiver._handle(self)

            def do_GET(self):
                self.send_response(405)
                self.end_headers()

        deadline = time.monotonic() + 10
        while True:
            try:
                self._httpd = _Server(("127.0.0.1", self.port), Handler)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops accepting and closes the listening socket: new connections are refused."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def running(self) -> bool:
        return self._httpd is not None

    # -- requests ----------------------------------------------------------------------------

    def _handle(self, h: http.server.BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        seen = None
        try:
            length = int(h.headers.get("Content-Length") or 0)
            body = h.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in h.headers.items()}
            verified, error = False, None
            secret = self.secret
            if secret is None:
                error = "receiver has no secret yet"
            else:
                try:
                    Webhook(secret).verify(body, headers)
                    verified = True
                except WebhookVerificationError as e:
                    error = f"{type(e).__name__}: {e}"
                except Exception as e:  # a malformed header is a failed verification too
                    error = f"{type(e).__name__}: {e}"
            try:
                payload = json.loads(body)
            except ValueError:
                payload = {}
            if not isinstance(payload, dict):
                payload = {}
            mode = self.mode
            if not verified:
                status = 401
            elif mode == "503":
                status = 503
            elif mode == "410":
                status = 410
            else:
                status = 200
            seen = Seen(headers.get("webhook-id"), payload.get("type"), payload.get("data"),
                        verified, error, status, body, headers, h.path)
            with self.lock:
                self.seen.append(seen)
                self._active[id(seen)] = (time.monotonic(), seen.webhook_id)
            if self.delay:
                time.sleep(self.delay)
            try:
                h.send_response(status)
                reply = b'{"ok":true}' if status == 200 else b'{"ok":false}'
                h.send_header("Content-Type", "application/json")
                h.send_header("Content-Length", str(len(reply)))
                h.end_headers()
                h.wfile.write(reply)
            except OSError:  # the sender went away (a killed server): nothing to answer
                pass
        finally:
            with self.lock:
                self.in_flight -= 1
                if seen is not None:
                    self._active.pop(id(seen), None)

    def holding(self, margin: float) -> list[str]:
        """The webhook-ids of requests still being held (slept on) for at least `margin` more
        seconds: their answers certainly have not reached the sender yet."""
        now = time.monotonic()
        with self.lock:
            return [wid for start, wid in self._active.values()
                    if wid and now - start < self.delay - margin]

    def snapshot(self) -> list[Seen]:
        with self.lock:
            return list(self.seen)

    def wait(self, pred, timeout: float, step: float = 0.1):
        """Polls `pred(snapshot)` until it returns something truthy; returns it, or None."""
        deadline = time.monotonic() + timeout
        while True:
            got = pred(self.snapshot())
            if got or time.monotonic() > deadline:
                return got or None
            time.sleep(step)

    def close(self) -> None:
        self.stop()
