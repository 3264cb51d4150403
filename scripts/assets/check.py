"""End-to-end check of release assets against a relman-server binary, as a new user does it with
curl: a draft release, a 200 MB upload and a small one, listing, downloads (the large one also
resumed with a Range request) checked by sha256, the server's memory while it streams, an
interrupted upload that leaves nothing, the assets in the signed attestation once the release is
ready, and deletes refused after that. Run on SQLite with the filesystem store, and on
PostgreSQL with an S3-compatible server (moto). Prints PASS/FAIL lines and figures; exit 1 on
any failure. Standard library, curl and moto only.

    python3 check.py --binary target/release/relman-server [--postgres URL] [--moto PATH]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts", "reliability"))

import harness  # noqa: E402  the reliability tests' server process and HTTP client

BIG_MB = int(os.environ.get("ASSETS_BIG_MB", "200"))
DIGEST = "sha256:" + "ab" * 32


class Failed(Exception):
    pass


def expect(cond: bool, message: str) -> None:
    if not cond:
        raise Failed(message)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class RssWatch:
    """Samples the server's resident set every 20 ms while a transfer runs; keeps the peak."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def curl(server, *args: str, output: str | None = None) -> tuple[int, bytes]:
    """Runs curl with the admin token; returns (HTTP status, body or b'')."""
    cmd = ["curl", "-sS", "-H", f"Authorization: Bearer {server.token}", "-w", "\n%{http_code}"]
    if output:
        cmd += ["-o", output]
    r = subprocess.run(cmd + list(args), capture_output=True, timeout=600)
    expect(r.returncode == 0, f"curl {' '.join(args)} failed: {r.stderr.decode()[:300]}")
    body, _, code = r.stdout.rpartition(b"\n")
    return int(code), body


class Moto:
    """moto's S3 server on a free port with one bucket."""

    def __init__(self, exe: str):
        self.port = harness.free_port()
        self.proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.bucket = "relman-assets-check"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.endpoint + "/", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise Failed("moto_server did not start")
                time.sleep(0.1)
        req = urllib.request.Request(f"{self.endpoint}/{self.bucket}", method="PUT")
        urllib.request.urlopen(req, timeout=10).read()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def keys(self) -> list[str]:
        body = urllib.request.urlopen(f"{self.endpoint}/{self.bucket}?list-type=2", timeout=10).read()
        text = body.decode()
        return [part.split("</Key>")[0] for part in text.split("<Key>")[1:]]

    def close(self):
        self.proc.kill()
        self.proc.wait()


def walkthrough(label: str, server, stored_keys, work: str, results: list) -> None:
    c = server.client()

    def check(name, fn):
        try:
            figures = fn() or ""
            print(f"PASS {label}: {name}{(' — ' + figures) if figures else ''}", flush=True)
            results.append(True)
        except Exception as e:  # noqa: BLE001  every failure is reported, then the run goes on
            print(f"FAIL {label}: {name}: {e}", flush=True)
            if not isinstance(e, Failed):
                traceback.print_exc()
            results.append(False)

    base = f"{server.base}/api/v1/releases/bundle/assets"
    big = os.path.join(work, "tool-linux-amd64.tar.gz")
    small = os.path.join(work, "NOTES.txt")
    state: dict = {}

    def setup():
        c.must("POST", "/components", {"name": "api", "imageRepository": "acme/api"})
        c.must("POST", "/version-maps", {"componentId": "api", "tag": "v1.0.0", "digest": DIGEST})
        c.must("POST", "/releases", {"name": "bundle", "components": [{"componentId": "api"}]})
        if not os.path.exists(big):
            with open(big, "wb") as f:
                for _ in range(BIG_MB):
                    f.write(os.urandom(1 << 20))
        with open(small, "w") as f:
            f.write("relman release notes, as a file\n")
        state["big_sha"], state["small_sha"] = sha256_file(big), sha256_file(small)

    def upload():
        with RssWatch(server.proc.pid) as watch:
            started = time.monotonic()
            code, body = curl(server, "-F", "label=Linux x86-64", "-F",
                              f"file=@{big};type=application/gzip", base)
            took = time.monotonic() - started
        expect(code == 201, f"upload -> {code}: {harness.excerpt(body)}")
        asset = json.loads(body)
        expect(asset["sha256"] == state["big_sha"] and asset["size"] == BIG_MB << 20,
               f"recorded {asset['sha256']} / {asset['size']}")
        expect(watch.peak < BIG_MB / 2, f"server RSS peaked at {watch.peak:.0f} MB")
        state["big"] = asset
        code, body = curl(server, "-F", f"file=@{small};type=text/plain", base)
        expect(code == 201, f"small upload -> {code}: {harness.excerpt(body)}")
        state["small"] = json.loads(body)
        return (f"{BIG_MB} MB in {took:.1f} s ({BIG_MB / took:.0f} MB/s), server RSS peak "
                f"{watch.peak:.0f} MB")

    def listing():
        r = c.must("GET", "/releases/bundle/assets")
        names = [a["name"] for a in r.json()]
        expect(names == ["NOTES.txt", "tool-linux-amd64.tar.gz"], f"listed {names}")

    def download():
        out = os.path.join(work, "down.bin")
        with RssWatch(server.proc.pid) as watch:
            started = time.monotonic()
            code, _ = curl(server, server.base + state["big"]["downloadUrl"], output=out)
            took = time.monotonic() - started
        expect(code == 200 and sha256_file(out) == state["big_sha"], f"download -> {code}")
        expect(watch.peak < BIG_MB / 2, f"server RSS peaked at {watch.peak:.0f} MB")
        code, _ = curl(server, "-H", "Accept: application/octet-stream",
                       f"{base}/{state['small']['id']}", output=out)
        expect(code == 200 and sha256_file(out) == state["small_sha"], f"small download -> {code}")
        return f"{BIG_MB / took:.0f} MB/s, server RSS peak {watch.peak:.0f} MB"

    def resume():
        out = os.path.join(work, "resumed.bin")
        half = (BIG_MB << 20) // 2
        code, _ = curl(server, "-r", f"0-{half - 1}", server.base + state["big"]["downloadUrl"],
                       output=out)
        expect(code == 206 and os.path.getsize(out) == half, f"first half -> {code}")
        # `-C -` asks for the rest from where the file stops: `Range: bytes=HALF-`.
        code, _ = curl(server, "-C", "-", server.base + state["big"]["downloadUrl"], output=out)
        expect(code == 206, f"resume -> {code}")
        expect(sha256_file(out) == state["big_sha"], "the resumed file's sha256 differs")
        # Counted: the whole download and the resume that reached the last byte, not the half.
        deadline = time.monotonic() + 5
        while True:
            count = c.must("GET", f"/releases/bundle/assets/{state['big']['id']}").json()["downloadCount"]
            if count == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        expect(count == 2, f"downloadCount {count}, expected 2")

    def interrupted():
        before = stored_keys()
        p = subprocess.Popen(["curl", "-sS", "-H", f"Authorization: Bearer {server.token}",
                              "--limit-rate", "8M", "-F", f"file=@{big};filename=cut.bin", base],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2)
        p.send_signal(signal.SIGKILL)
        p.wait()
        deadline = time.monotonic() + 10
        while True:
            names = [a["name"] for a in c.must("GET", "/releases/bundle/assets").json()]
            keys = stored_keys()
            if (keys == before and "cut.bin" not in names) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        expect("cut.bin" not in names, f"listed {names}")
        expect(keys == before, f"stored objects {keys}, before {before}")
        # The name is free again.
        code, body = curl(server, "-F", f"file=@{small};filename=cut.bin", base)
        expect(code == 201, f"upload after the interrupted one -> {code}: {harness.excerpt(body)}")
        r = c.call("DELETE", f"/releases/bundle/assets/{json.loads(body)['id']}")
        expect(r.status == 204, f"delete while draft -> {r.status}")

    def freeze():
        c.must("PUT", "/releases/bundle", {"status": "ready"})
        env = c.must("GET", "/releases/bundle/attestation").json()
        statement = json.loads(base64.b64decode(env["payload"]))
        subjects = {(s["name"], s["digest"]["sha256"]) for s in statement["subject"]}
        for key in ("big", "small"):
            want = (state[key]["name"], state[key]["sha256"])
            expect(want in subjects, f"{want} not among the subjects {sorted(subjects)}")
        r = c.call("DELETE", f"/releases/bundle/assets/{state['small']['id']}")
        expect(r.status == 409 and r.json().get("code") == "release_immutable",
               f"delete after ready -> {r.status} {harness.excerpt(r.body)}")
        code, body = curl(server, "-F", f"file=@{small};filename=late.txt", base)
        expect(code == 409, f"upload after ready -> {code}")

    for name, fn in [("draft release and files", setup), ("upload 200 MB + a text file", upload),
                     ("list", listing), ("download and sha256", download),
                     ("Range resume and downloadCount", resume),
                     ("interrupted upload leaves nothing", interrupted),
                     ("ready: assets signed, then frozen", freeze)]:
        check(name, fn)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--postgres", default=os.environ.get("RELMAN_TEST_POSTGRES_URL"))
    ap.add_argument("--moto", default=os.path.join(ROOT, ".tools", "moto", "bin", "moto_server"))
    args = ap.parse_args()
    results: list[bool] = []
    work = tempfile.mkdtemp(prefix="relman-assets-")
    try:
        server = harness.Server(args.binary, harness.SqliteBackend(), "assets-fs")
        try:
            server.start()
            assets_dir = os.path.join(server.data_dir, "assets")

            def files():
                return sorted(os.path.relpath(os.path.join(d, f), assets_dir)
                              for d, _, fs in os.walk(assets_dir) for f in fs)

            walkthrough("sqlite+filesystem", server, files, work, results)
        finally:
            server.close()
        if not args.postgres:
            print("FAIL postgres+s3: no PostgreSQL (--postgres or RELMAN_TEST_POSTGRES_URL)")
            results.append(False)
        elif not os.path.exists(args.moto):
            print(f"FAIL postgres+s3: {args.moto} is missing (./scripts/test installs moto)")
            results.append(False)
        else:
            moto = Moto(args.moto)
            server = harness.Server(args.binary, harness.PostgresBackend(args.postgres), "assets-s3")
            try:
                server.env.update({
                    "RELMAN_ASSETS_BACKEND": "s3",
                    "RELMAN_ASSETS_S3_BUCKET": moto.bucket,
                    "RELMAN_ASSETS_S3_ENDPOINT": moto.endpoint,
                    "RELMAN_ASSETS_S3_ALLOW_HTTP": "true",
                    "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing",
                })
                server.start()
                walkthrough("postgres+s3", server, moto.keys, work, results)
            finally:
                server.close()
                moto.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed = results.count(False)
    print(f"assets: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
