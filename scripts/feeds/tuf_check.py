"""The exported feed folder checked with standard tools: python-tuf's ngclient downloads and
verifies through a plain HTTP server, a tampered target is rejected, an unchanged export is a
no-op, the files equal the live API byte for byte, and a client updating in a loop while exports
run never fails. Each check prints PASS or FAIL; the exit status is 1 when any failed.

    python3 tuf_check.py --binary target/release/relman-server
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts", "reliability"))

import harness  # noqa: E402  the reliability tests' server process and HTTP client
from tuf.api.exceptions import RepositoryError  # noqa: E402
from tuf.ngclient import Updater  # noqa: E402


class Failed(Exception):
    pass


def expect(cond: bool, message: str) -> None:
    if not cond:
        raise Failed(message)


def digest(n: int) -> str:
    return "sha256:" + f"{n:02x}" * 32


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(directory: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(Quiet, directory=directory)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


class Export:
    """Runs `export-feed` on the server's data folder and a TUF client against the result."""

    def __init__(self, binary: str, server: harness.Server, work: str):
        self.binary, self.server = binary, server
        self.out = os.path.join(work, "site", "feed")
        os.makedirs(os.path.dirname(self.out))
        # Serve the folder above the symlink so every request resolves it afresh.
        self.httpd, base = serve(os.path.dirname(self.out))
        self.base = base + "/feed"
        self.work = work

    def run(self, *extra: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RELMAN_")}
        env["RUST_LOG"] = "warn"
        p = subprocess.run([self.binary, "export-feed", "--out", self.out,
                            "--data-dir", self.server.data_dir, *extra],
                           capture_output=True, text=True, env=env, timeout=60)
        expect(p.returncode == 0, f"export-feed exited {p.returncode}: {p.stderr[-600:]}")
        return p.stdout.strip()

    def client(self, name: str) -> Updater:
        """A client that trusts the first root, as a user pins it."""
        md = os.path.join(self.work, f"client-{name}", "metadata")
        targets = os.path.join(self.work, f"client-{name}", "targets")
        os.makedirs(md, exist_ok=True)
        os.makedirs(targets, exist_ok=True)
        if "pinned" not in self.__dict__:
            with open(os.path.join(self.out, "metadata", "1.root.json"), "rb") as f:
                self.pinned = f.read()
        return Updater(metadata_dir=md, metadata_base_url=self.base + "/metadata/",
                       target_base_url=self.base + "/targets/", target_dir=targets,
                       bootstrap=self.pinned)

    def fetch(self, name: str, path: str) -> bytes:
        u = self.client(name)
        u.refresh()
        info = u.get_targetinfo(path)
        expect(info is not None, f"{path} is no target")
        # A fresh file name per call, so a cached copy never answers.
        dest = os.path.join(self.work, f"client-{name}", "targets", f"{os.urandom(6).hex()}")
        with open(u.download_target(info, filepath=dest), "rb") as f:
            return f.read()


def live(server: harness.Server, path: str) -> bytes:
    with urllib.request.urlopen(server.base + "/updates/v1/" + path, timeout=10) as r:
        return r.read()


def setup(client) -> None:
    client.must("POST", "/components", {"name": "api", "imageRepository": "acme/api"})
    client.must("POST", "/components", {"name": "cli", "imageRepository": "acme/cli"})
    for i, tag in enumerate(["v1.9.3", "v2.2.0", "v2.3.0", "v2.3.1-rc.1"]):
        client.must("POST", "/version-maps",
                    {"componentId": "api", "tag": tag, "digest": digest(i + 1)})
    client.must("POST", "/version-maps",
                {"componentId": "cli", "tag": "0.4.0", "digest": digest(20)})


def check_verified(st: dict) -> None:
    ex: Export = st["export"]
    out = ex.run()
    expect(out.startswith("published"), out)
    got = ex.fetch("a", "latest/api.json")
    expect(json.loads(got)["version"] == "v2.3.0", got.decode())
    expect(got == live(st["server"], "latest/api.json"), "TUF target differs from the live feed")
    cli = ex.fetch("a", "latest/cli.json")
    expect(json.loads(cli)["version"] == "0.4.0", cli.decode())


def check_byte_for_byte(st: dict) -> None:
    ex: Export = st["export"]
    targets = json.load(open(os.path.join(ex.out, "metadata", "1.targets.json")))["signed"]
    paths = sorted(targets["targets"])
    expect("minor/v2.3/api.json" in paths and "major/v1/api.json" in paths, str(paths))
    for path in paths:
        with open(os.path.join(ex.out, path), "rb") as f:
            expect(f.read() == live(st["server"], path), f"{path} differs from the live API")


def check_noop(st: dict) -> None:
    ex: Export = st["export"]
    before = os.path.realpath(ex.out)
    out = ex.run()
    expect(out.startswith("unchanged"), out)
    expect(os.path.realpath(ex.out) == before, "a no-op export published a new generation")


def check_update(st: dict) -> None:
    ex: Export = st["export"]
    st["client"].must("POST", "/components/api/versions/v2.3.0/yank", {"reason": "bad build"})
    out = ex.run()
    expect(out.startswith("published"), out)
    got = ex.fetch("a", "latest/api.json")
    expect(json.loads(got)["version"] == "v2.2.0", f"after a yank: {got.decode()}")


def check_refresh(st: dict) -> None:
    ex: Export = st["export"]
    before = json.load(open(os.path.join(ex.out, "metadata", "timestamp.json")))["signed"]
    out = ex.run("--refresh-timestamp", "--timestamp-expiry-days", "3")
    after = json.load(open(os.path.join(ex.out, "metadata", "timestamp.json")))["signed"]
    expect(after["version"] == before["version"] + 1, out)
    expect(after["expires"] != before["expires"], "expiry unchanged")
    ex.fetch("a", "latest/api.json")


def check_tampered(st: dict) -> None:
    ex: Export = st["export"]
    generation = os.path.realpath(ex.out)
    targets_dir = os.path.join(generation, "targets", "latest")
    # The hash-named copy of the current latest/api.json is changed on disk.
    md = os.path.join(generation, "metadata")
    snap_v = json.load(open(os.path.join(md, "timestamp.json")))["signed"]["meta"][
        "snapshot.json"]["version"]
    targ_v = json.load(open(os.path.join(md, f"{snap_v}.snapshot.json")))["signed"]["meta"][
        "targets.json"]["version"]
    info = json.load(open(os.path.join(md, f"{targ_v}.targets.json")))["signed"]["targets"][
        "latest/api.json"]
    path = os.path.join(targets_dir, info["hashes"]["sha256"] + ".api.json")
    with open(path, "rb") as f:
        original = f.read()
    os.unlink(path)  # a hard link may share the inode with an older generation: replace it
    with open(path, "w") as f:
        f.write('{"version":"v9.9.9"}\n')
    try:
        got = ex.fetch("fresh", "latest/api.json")
    except RepositoryError as e:
        print(f"  rejected: {type(e).__name__}")
        return
    finally:
        os.unlink(path)
        with open(path, "wb") as f:
            f.write(original)
    raise Failed(f"a tampered target was accepted: {got!r}")


def check_reads_during_exports(st: dict) -> None:
    ex: Export = st["export"]
    errors: list[str] = []
    stop = threading.Event()
    rounds = [0]

    def reader() -> None:
        while not stop.is_set() or rounds[0] == 0:
            try:
                for path in ("latest/api.json", "major/v2/api.json", "latest/cli.json"):
                    ex.fetch("loop", path)
                rounds[0] += 1
            except Exception as e:  # noqa: BLE001  any failure of the client is the finding
                errors.append(f"{type(e).__name__}: {e}")
                return

    t = threading.Thread(target=reader)
    t.start()
    c = st["client"]
    for i in range(10):
        verb = "unyank" if i % 2 == 0 else "yank"
        c.must("POST", f"/components/api/versions/v2.3.0/{verb}", {} if verb == "unyank" else None)
        ex.run()
    stop.set()
    t.join(timeout=120)
    expect(not errors, f"a client failed during exports: {errors[:1]}")
    expect(rounds[0] > 0, "the reader never completed a round")
    print(f"  {rounds[0]} verified rounds during 10 exports")


CHECKS = [
    ("a. verified by python-tuf ngclient", check_verified),
    ("b. exported files equal the live API", check_byte_for_byte),
    ("c. an unchanged export is a no-op", check_noop),
    ("d. a yank reaches the client on the next export", check_update),
    ("e. refresh-timestamp re-signs the timestamp only", check_refresh),
    ("f. a tampered target is rejected", check_tampered),
    ("g. a client updating during exports never fails", check_reads_during_exports),
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    failed = 0
    work = tempfile.mkdtemp(prefix="relman-feeds-tuf-")
    server = harness.Server(args.binary, harness.SqliteBackend(), "feeds-tuf")
    try:
        server.start()
        client = server.client()
        setup(client)
        st = {"server": server, "client": client, "export": Export(args.binary, server, work)}
        for name, check in CHECKS:
            try:
                check(st)
                print(f"PASS {name}")
            except Exception as e:  # noqa: BLE001
                failed += 1
                print(f"FAIL {name}: {e}")
                if not isinstance(e, Failed):
                    traceback.print_exc()
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"tuf: {len(CHECKS) - failed}/{len(CHECKS)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
