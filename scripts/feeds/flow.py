"""The update-feed walk-through a new user does, against a relman-server binary and a real
docker-registry: sync, read the three feed kinds, push and sync again, yank, apply aliases and
read them back from the registry. Each check prints PASS or FAIL; the exit status is 1 when any
failed.

    python3 flow.py --binary target/release/relman-server
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts", "reliability"))
sys.path.insert(0, os.path.join(ROOT, "scripts", "attestation"))

import harness  # noqa: E402
import oci  # noqa: E402

REPO = "acme/api"


class Failed(Exception):
    pass


def expect(cond: bool, message: str) -> None:
    if not cond:
        raise Failed(message)


def push(registry: oci.Registry, tag: str) -> str:
    """A single-platform image whose layer is unique to `tag`; its manifest digest."""
    layer = {"mediaType": oci.OCI_LAYER, **registry.blob(REPO, f"layer of {tag}".encode())}
    config = {"architecture": "amd64", "os": "linux",
              "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}
    doc = {"schemaVersion": 2, "mediaType": oci.OCI_MANIFEST,
           "config": {"mediaType": oci.OCI_CONFIG,
                      **registry.blob(REPO, json.dumps(config).encode())},
           "layers": [layer]}
    return registry.manifest(REPO, tag, doc, oci.OCI_MANIFEST)


def head(registry: oci.Registry, tag: str) -> str | None:
    status, _, headers = registry.request(
        "HEAD", f"/v2/{REPO}/manifests/{tag}",
        headers={"Accept": f"{oci.OCI_MANIFEST}, {oci.OCI_INDEX}"})
    return headers.get("docker-content-digest") if status == 200 else None


def feed(server: harness.Server, path: str, headers: dict | None = None):
    """(status, body, headers) of an anonymous feed GET."""
    req = urllib.request.Request(server.base + "/updates/v1/" + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, e.read(), {k.lower(): v for k, v in e.headers.items()}


def doc(server: harness.Server, path: str):
    status, body, _ = feed(server, path)
    expect(status == 200, f"GET {path}: {status} {body[:200]!r}")
    return json.loads(body)


def call(client, method: str, path: str, body=None, status=(200, 201)):
    r = client.call(method, path, body)
    expect(r.status in status, f"{method} {path}: {r.status} {r.body[:300]!r}")
    return r.json()


def sync(client) -> None:
    call(client, "POST", "/components/api/sync-versions", {})


def check_seed_shapes(st: dict) -> None:
    s = st["server"]
    latest = doc(s, "latest/api.json")
    expect(latest["version"] == "v2.3.0", str(latest))
    expect(latest["digest"] == st["digests"]["v2.3.0"], "latest digest is the registry's")
    expect(doc(s, "major/v2/api.json") == {"versions": ["v2.2", "v2.3"]}, "major v2")
    expect(doc(s, "major/v1/api.json") == {"versions": ["v1.9"]}, "major v1")
    expect(doc(s, "minor/v2.3/api.json") == {"versions": ["v2.3.0"]}, "minor v2.3 (no rc)")


def check_growth(st: dict) -> None:
    s, c, reg = st["server"], st["client"], st["registry"]
    for tag in ("v1.9.4", "v2.3.1"):
        st["digests"][tag] = push(reg, tag)
    sync(c)
    expect(doc(s, "latest/api.json")["version"] == "v2.3.1", "latest after the push")
    expect(doc(s, "minor/v1.9/api.json") == {"versions": ["v1.9.3", "v1.9.4"]}, "v1.9 grew")
    expect(doc(s, "minor/v2.3/api.json") == {"versions": ["v2.3.0", "v2.3.1"]}, "v2.3 grew")


def check_yank(st: dict) -> None:
    s, c = st["server"], st["client"]
    v = call(c, "POST", "/components/api/versions/v2.3.1/yank", {"reason": "broken TLS"})
    expect(v["yanked"] and v["yankReason"] == "broken TLS", str(v))
    expect(doc(s, "latest/api.json")["version"] == "v2.3.0", "latest falls back")
    expect(doc(s, "minor/v2.3/api.json") == {"versions": ["v2.3.0"]}, "v2.3 without the yank")
    aliases = {a["alias"]: a["tag"] for a in call(c, "GET", "/components/api/aliases")}
    expect(all(aliases[a] == "v2.3.0" for a in ("latest", "v2", "v2.3")), str(aliases))
    listed = {v["tag"]: v for v in call(c, "GET", "/components/api/versions")}
    expect(listed["v2.3.1"]["yanked"], "a yanked version stays listed, marked")


def check_aliases_applied(st: dict) -> None:
    c, reg, d = st["client"], st["registry"], st["digests"]
    dry = call(c, "POST", "/components/api/aliases/apply", {"dryRun": True})
    expect(dry["dryRun"] and head(reg, "v2") is None, "a dry run pushes nothing")
    applied = call(c, "POST", "/components/api/aliases/apply", {})
    results = {a["alias"]: a["result"] for a in applied["aliases"]}
    expect(results["v2"] == "created" and results["v2.3.0"] == "unchanged", str(results))
    for alias in ("v2.3", "v2", "latest"):
        expect(head(reg, alias) == d["v2.3.0"], f"{alias} serves v2.3.0's digest")
    if shutil.which("skopeo"):
        raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                              f"docker://{reg.host}/{REPO}:v2"], capture_output=True, timeout=60)
        expect(raw.returncode == 0, raw.stderr.decode()[-300:])
        got = "sha256:" + hashlib.sha256(raw.stdout).hexdigest()
        expect(got == d["v2.3.0"], f"skopeo: v2 is {got}")
    again = call(c, "POST", "/components/api/aliases/apply", {})
    expect(all(a["result"] == "unchanged" for a in again["aliases"]), "second apply: unchanged")


def check_backport(st: dict) -> None:
    c, reg, d = st["client"], st["registry"], st["digests"]
    d["v1.9.5"] = push(reg, "v1.9.5")
    sync(c)
    applied = call(c, "POST", "/components/api/aliases/apply", {})
    changed = sorted(a["alias"] for a in applied["aliases"] if a["result"] != "unchanged")
    # `v1.9.5` is the pushed tag itself: already there, unchanged.
    expect(changed == ["v1", "v1.9"], f"a backport changed {changed}")
    expect(head(reg, "latest") == d["v2.3.0"] and head(reg, "v1") == d["v1.9.5"], "tags")


def check_caching(st: dict) -> None:
    s, c = st["server"], st["client"]
    status, _, headers = feed(s, "latest/api.json")
    etag = headers.get("etag", "")
    expect(status == 200 and etag.startswith('"'), f"strong ETag: {etag!r}")
    expect(headers.get("cache-control") == "public, max-age=60", str(headers))
    status, body, _ = feed(s, "latest/api.json", {"If-None-Match": etag})
    expect(status == 304 and body == b"", f"unchanged feed: {status}")
    call(c, "POST", "/components/api/versions/v2.3.1/unyank", {})
    status, body, headers = feed(s, "latest/api.json", {"If-None-Match": etag})
    expect(status == 200 and json.loads(body)["version"] == "v2.3.1", "after unyank")
    expect(headers.get("etag") != etag, "the tag follows the bytes")
    for path, want in (("latest/nope.json", 404), ("major/v9/api.json", 404),
                       ("minor/v2.9/api.json", 404), ("major/x/api.json", 400)):
        status, body, headers = feed(s, path)
        expect(status == want and headers.get("content-type") == "application/problem+json",
               f"{path}: {status}")


def check_gone(st: dict) -> None:
    s, c, reg, d = st["server"], st["client"], st["registry"], st["digests"]
    status, _, _ = reg.request("DELETE", f"/v2/{REPO}/manifests/{d['v1.9.3']}")
    expect(status == 202, f"registry DELETE: {status}")
    sync(c)
    tags = [v["tag"] for v in call(c, "GET", "/components/api/versions")]
    expect("v1.9.3" not in tags, "a gone version is hidden by default")
    gone = {v["tag"]: v["gone"] for v in call(c, "GET", "/components/api/versions?includeGone=true")}
    expect(gone.get("v1.9.3") is True, f"includeGone shows it: {gone}")
    expect("v1.9.3" not in doc(s, "minor/v1.9/api.json")["versions"], "feeds drop it")


def check_private(st: dict) -> None:
    with harness.Server(st["binary"], harness.SqliteBackend(), "feeds-private") as p:
        p.env = {}
        c = p.client()
        call(c, "POST", "/components", {"name": "api", "imageRepository": REPO})
        call(c, "POST", "/version-maps", {"componentId": "api", "tag": "v1.0.0",
                                          "digest": "sha256:" + "ab" * 32})
        status, _, _ = feed(p, "latest/api.json")
        expect(status == 200, "public by default")
    private = harness.Server(st["binary"], harness.SqliteBackend(), "feeds-private2")
    private.env = {"RELMAN_FEEDS_PUBLIC": "false"}
    with private:
        status, _, _ = feed(private, "latest/api.json")
        expect(status == 401, f"no token: {status}")
        status, _, headers = feed(private, "latest/nope.json",
                                  {"Authorization": "Bearer " + private.token})
        expect(status == 404, f"with a token: {status}")


CHECKS = [
    ("a. seed 004 shapes after a first sync", check_seed_shapes),
    ("b. pushes and a sync grow the feeds", check_growth),
    ("c. a yanked latest falls back everywhere", check_yank),
    ("d. aliases applied serve the target digest", check_aliases_applied),
    ("e. a backport moves only its major and minor", check_backport),
    ("f. strong ETag, 304, Cache-Control, 404/400", check_caching),
    ("g. a tag gone from the registry leaves the feeds", check_gone),
    ("h. feeds public by default, private when configured", check_private),
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="relman-feeds-")
    registry = oci.Registry(tmp, harness.free_port())
    server = harness.Server(args.binary, harness.SqliteBackend(), "feeds")
    failed = 0
    try:
        digests = {tag: push(registry, tag) for tag in ("v1.9.3", "v2.2.0", "v2.3.0", "v2.3.1-rc.1")}
        server.start()
        client = server.client()
        integration = call(client, "POST", "/registry-integrations",
                           {"name": "local", "url": registry.url, "insecure": True})
        call(client, "POST", "/components", {"name": "api", "imageRepository": REPO,
                                             "registryIntegrationId": integration["id"]})
        sync(client)
        st = {"server": server, "client": client, "registry": registry, "digests": digests,
              "binary": args.binary}
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
        registry.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"feeds: {len(CHECKS) - failed}/{len(CHECKS)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
