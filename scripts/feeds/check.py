"""Black-box check of update feeds, yanked versions and floating tags against a relman-server
binary and a real docker-registry: the /updates/v1 feeds (latest, major, minor), yank and unyank,
aliases computed and applied to the registry, HTTP caching, private feeds and gone tags. Each
check prints PASS, FAIL or SKIP; the exit status is 1 when any failed. Standard library only.

    python3 check.py --binary target/debug/relman-server
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts", "reliability"))
sys.path.insert(0, os.path.join(ROOT, "scripts", "attestation"))

import harness  # noqa: E402  the reliability tests' server process and HTTP client
import oci  # noqa: E402  the attestation check's docker-registry

REPO = "acme/api"
COMPONENT = "api"
ACCEPT = f"{oci.OCI_MANIFEST}, {oci.OCI_INDEX}"
REASON = "CVE-2026-1234 in the TLS stack"
PROBLEM = "application/problem+json"


class Failed(Exception):
    """A check did not hold; the message says what was seen."""


class Skipped(Exception):
    """A check cannot run in this setup; the message says why."""


def expect(cond: bool, message: str) -> None:
    if not cond:
        raise Failed(message)


def call(client, method, path, body=None, status=(200, 201)):
    r = client.call(method, path, body)
    expect(r.status in status, f"{method} {path} -> {r.status}: {harness.excerpt(r.body, 400)}")
    return r


# ---------------------------------------------------------------------------------------------
# Registry and feed helpers


def push(reg: oci.Registry, tag: str, label: str | None = None) -> str:
    """Pushes a single-platform image under `tag` whose layer and config carry `label` (the tag
    by default), so every tag gets its own digest; returns the manifest digest."""
    label = label or tag
    layer = {"mediaType": oci.OCI_LAYER, **reg.blob(REPO, f"layer {REPO} {label}".encode())}
    config = {"architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
              "config": {"Labels": {"org.example.build": label}},
              "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}
    doc = {"schemaVersion": 2, "mediaType": oci.OCI_MANIFEST,
           "config": {"mediaType": oci.OCI_CONFIG, **reg.blob(REPO, json.dumps(config).encode())},
           "layers": [layer]}
    return reg.manifest(REPO, tag, doc, oci.OCI_MANIFEST)


def head(reg: oci.Registry, ref: str) -> str | None:
    """The digest the registry serves for `ref` (HEAD), or None when it answers 404."""
    status, _, headers = reg.request("HEAD", f"/v2/{REPO}/manifests/{ref}",
                                     headers={"Accept": ACCEPT})
    if status == 404:
        return None
    expect(status == 200, f"HEAD /v2/{REPO}/manifests/{ref} on the registry -> {status}")
    return headers.get("docker-content-digest")


def get(server, path: str, headers: dict | None = None, token: bool = False) -> harness.Response:
    """A plain GET on the server, anonymous unless `token`."""
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + server.token
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=harness.HTTP_TIMEOUT)
    try:
        c.request("GET", path, headers=h)
        r = c.getresponse()
        return harness.Response(r.status, r.read(), {k.lower(): v for k, v in r.getheaders()})
    finally:
        c.close()


def feed(server, kind: str, component: str = COMPONENT, token: bool = False):
    """`kind` is `latest`, `major/v2` or `minor/v2.3`; the 200 body, parsed."""
    path = f"/updates/v1/{kind}/{component}.json"
    r = get(server, path, token=token)
    expect(r.status == 200, f"GET {path} -> {r.status}: {harness.excerpt(r.body)}")
    return r.json()


def feed_list(server, kind: str) -> list:
    return feed(server, kind).get("versions")


def expect_feeds(st: dict, want: dict) -> None:
    """`want` maps `latest` to a tag and `major/…`/`minor/…` to lists (or to 404)."""
    server, digests = st["server"], st["digests"]
    for kind, value in want.items():
        path = f"/updates/v1/{kind}/{COMPONENT}.json"
        if value == 404:
            r = get(server, path)
            expect(r.status == 404 and r.headers.get("content-type", "").startswith(PROBLEM),
                   f"GET {path} -> {r.status} {r.headers.get('content-type')} "
                   f"{harness.excerpt(r.body)} (want 404 problem+json)")
        elif kind == "latest":
            body = feed(server, "latest")
            want_body = {"version": value, "tag": value, "digest": digests[value]}
            expect(body == want_body, f"GET {path} -> {body}, want {want_body}")
        else:
            got = feed_list(server, kind)
            expect(got == value, f"GET {path} -> versions {got}, want {value}")


def sync(st: dict) -> None:
    call(st["client"], "POST", f"/components/{COMPONENT}/sync-versions", {})


def versions(st: dict, include_gone: bool = False) -> dict:
    path = f"/components/{COMPONENT}/versions?limit=1000"
    if include_gone:
        path += "&includeGone=true"
    return {v["tag"]: v for v in call(st["client"], "GET", path, status=(200,)).json()}


def yank(st: dict, tag: str, reason: str | None = None) -> dict:
    body = {"reason": reason} if reason else None
    v = call(st["client"], "POST", f"/components/{COMPONENT}/versions/{tag}/yank", body,
             status=(200,)).json()
    expect(v.get("tag") == tag and v.get("yanked") is True and v.get("yankedAt")
           and v.get("yankReason") == reason,
           f"yank {tag} answered {v} (want yanked true, yankedAt, yankReason {reason!r})")
    return v


def unyank(st: dict, tag: str) -> None:
    v = call(st["client"], "POST", f"/components/{COMPONENT}/versions/{tag}/unyank",
             status=(200,)).json()
    expect(v.get("tag") == tag and v.get("yanked") is False,
           f"unyank {tag} answered {v} (want yanked false)")


def semver(tag: str) -> tuple[int, int, int]:
    major, minor, patch = tag.lstrip("v").split(".")
    return int(major), int(minor), int(patch)


def model_aliases(floating: list[str], digests: dict, latest: bool = True) -> dict:
    """The aliases computed independently: alias -> (tag, digest) for the floating tags."""
    out: dict[str, str] = {}
    for tag in sorted(floating, key=semver):  # ascending: the highest wins each alias
        major, minor, _ = semver(tag)
        names = [f"v{major}", f"v{major}.{minor}", tag] + (["latest"] if latest else [])
        for name in names:
            out[name] = tag
    return {a: (t, digests[t]) for a, t in out.items()}


def aliases(st: dict) -> list[dict]:
    return call(st["client"], "GET", f"/components/{COMPONENT}/aliases", status=(200,)).json()


def expect_aliases(st: dict, floating: list[str], latest: bool = True) -> None:
    listed = aliases(st)
    got = {a["alias"]: (a["tag"], a["digest"]) for a in listed}
    want = model_aliases(floating, st["digests"], latest)
    expect(got == want, f"GET /components/{COMPONENT}/aliases -> {sorted(got.items())}, "
                        f"want {sorted(want.items())}")
    order = [a["alias"] for a in listed]
    if latest:
        expect(order[0] == "latest", f"aliases not in tree order, latest not first: {order}")
    for i, name in enumerate(order):
        parts = name.split(".")
        if name != "latest" and len(parts) > 1:
            parent = ".".join(parts[:-1])
            expect(parent in order[:i], f"aliases not in tree order: {parent} after {name} "
                                        f"in {order}")


def apply(st: dict, dry_run: bool = False) -> dict[str, dict]:
    body = {"dryRun": True} if dry_run else None
    r = call(st["client"], "POST", f"/components/{COMPONENT}/aliases/apply", body, status=(200,))
    doc = r.json()
    expect(doc.get("dryRun") is dry_run, f"apply (dryRun {dry_run}) answered dryRun "
                                         f"{doc.get('dryRun')}")
    out = {a["alias"]: a for a in doc["aliases"]}
    expect(len(out) == len(doc["aliases"]), f"an alias reported twice: {doc['aliases']}")
    if not dry_run:
        st["changes"] += sum(a["result"] in ("created", "moved") for a in doc["aliases"])
    return out


def results(applied: dict[str, dict]) -> dict[str, str]:
    return {a: v["result"] for a, v in applied.items()}


# ---------------------------------------------------------------------------------------------
# The checks, in order; each reads and extends `st`.


def check_seed_shapes(st: dict) -> None:
    expect_feeds(st, {"latest": "v2.3.0", "major/v2": ["v2.2", "v2.3"], "major/v1": ["v1.9"],
                      "minor/v2.3": ["v2.3.0"], "minor/v2.2": ["v2.2.0"],
                      "minor/v1.9": ["v1.9.3"]})
    expect(feed(st["server"], "latest")["digest"] == head(st["registry"], "v2.3.0"),
           "latest's digest is not the registry's digest of v2.3.0")
    seen = versions(st)
    expect("v2.3.1-rc.1" in seen, f"the rc was not synced at all: {sorted(seen)}")
    for kind in ("major/v2", "minor/v2.3", "major/2", "minor/2.3"):
        body = json.dumps(feed(st["server"], kind))
        expect("rc" not in body, f"the rc appears in {kind}: {body}")


def check_growth(st: dict) -> None:
    for tag in ("v1.9.4", "v2.3.1"):
        st["digests"][tag] = push(st["registry"], tag)
    sync(st)
    expect_feeds(st, {"latest": "v2.3.1", "minor/v1.9": ["v1.9.3", "v1.9.4"],
                      "minor/v2.3": ["v2.3.0", "v2.3.1"], "major/v2": ["v2.2", "v2.3"],
                      "major/v1": ["v1.9"]})


def check_yank(st: dict) -> None:
    st["digests"]["v2.3.1"]  # needs the growth check
    yank(st, "v2.3.1", REASON)
    expect_feeds(st, {"latest": "v2.3.0", "minor/v2.3": ["v2.3.0"], "major/v2": ["v2.2", "v2.3"]})
    listed = {a["alias"]: a for a in aliases(st)}
    for name in ("latest", "v2", "v2.3"):
        got = (listed.get(name) or {}).get("tag"), (listed.get(name) or {}).get("digest")
        expect(got == ("v2.3.0", st["digests"]["v2.3.0"]),
               f"alias {name} -> {got}, want v2.3.0 {st['digests']['v2.3.0']}")
    expect_aliases(st, ["v1.9.3", "v1.9.4", "v2.2.0", "v2.3.0"])
    v = versions(st).get("v2.3.1")
    expect(v is not None and v["yanked"] is True and v["yankReason"] == REASON and v["yankedAt"],
           f"GET versions: v2.3.1 is {v} (want listed, yanked true, the reason, yankedAt)")
    expect(versions(st)["v2.3.0"]["yanked"] is False, "v2.3.0 shows yanked")

    yank(st, "v2.2.0")
    expect_feeds(st, {"major/v2": ["v2.3"], "minor/v2.2": 404, "latest": "v2.3.0"})
    expect("v2.2" not in {a["alias"] for a in aliases(st)}, "alias v2.2 still listed")

    unyank(st, "v2.3.1")
    unyank(st, "v2.2.0")
    expect_feeds(st, {"latest": "v2.3.1", "major/v2": ["v2.2", "v2.3"],
                      "minor/v2.2": ["v2.2.0"], "minor/v2.3": ["v2.3.0", "v2.3.1"]})
    expect_aliases(st, ["v1.9.3", "v1.9.4", "v2.2.0", "v2.3.0", "v2.3.1"])
    now = versions(st)
    expect(now["v2.3.1"]["yanked"] is False and now["v2.2.0"]["yanked"] is False,
           f"after unyank: v2.3.1 {now['v2.3.1']}, v2.2.0 {now['v2.2.0']}")


def check_aliases_applied(st: dict) -> None:
    reg, d = st["registry"], st["digests"]
    d["v2.3.1"], d["v1.9.4"]  # needs the growth check
    yank(st, "v2.3.1", REASON)
    floating = ["v1.9.3", "v1.9.4", "v2.2.0", "v2.3.0"]
    want = model_aliases(floating, d)

    # Dry run: every floating tag not yet in the registry is `created`; a `vX.Y.Z` alias is
    # the version's own tag, already serving that digest, so it is `unchanged`.
    dry = apply(st, dry_run=True)
    expect(set(dry) == set(want), f"dry run aliases {sorted(dry)}, want {sorted(want)}")
    want_dry = {a: "unchanged" if a in floating else "created" for a in want}
    expect(results(dry) == want_dry, f"dry run results {results(dry)}, want {want_dry}")
    for a, v in dry.items():
        expect((v["tag"], v["digest"]) == want[a], f"dry run {a} -> {v}, want {want[a]}")
        expect(v["previousDigest"] == (d[a] if a in floating else None),
               f"dry run {a}: previousDigest {v['previousDigest']}")
    for a in ("v2", "v2.3", "latest", "v1", "v1.9", "v2.2"):
        expect(head(reg, a) is None, f"after a dry run the registry serves {a}: {head(reg, a)}")

    applied = apply(st)
    expect(results(applied) == want_dry, f"apply results {results(applied)}, want {want_dry}")
    for a in ("v2.3", "v2", "latest"):
        got = head(reg, a)
        expect(got == d["v2.3.0"], f"registry HEAD {a}: Docker-Content-Digest {got}, "
                                   f"want v2.3.0's {d['v2.3.0']}")
    for a in ("v1", "v1.9"):
        expect(head(reg, a) == d["v1.9.4"], f"registry HEAD {a}: {head(reg, a)}, want v1.9.4")
    expect(head(reg, "v2.2") == d["v2.2.0"], f"registry HEAD v2.2: {head(reg, 'v2.2')}")
    if shutil.which("skopeo"):
        out = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                              f"docker://{reg.host}/{REPO}:v2"], capture_output=True, timeout=60)
        expect(out.returncode == 0, f"skopeo inspect exited {out.returncode}: "
                                    f"{out.stderr.decode(errors='replace').strip()}")
        raw = "sha256:" + hashlib.sha256(out.stdout).hexdigest()
        expect(raw == d["v2.3.0"], f"skopeo: sha256 of {REPO}:v2's raw manifest is {raw}, "
                                   f"want {d['v2.3.0']}")
    else:
        print("    note: skopeo not installed; the skopeo cross-check was skipped")

    again = apply(st)
    expect(all(r == "unchanged" for r in results(again).values()),
           f"second apply: {results(again)} (want all unchanged)")

    unyank(st, "v2.3.1")
    moved = apply(st)
    changed = {a: r for a, r in results(moved).items() if r != "unchanged"}
    expect(changed == {"latest": "moved", "v2": "moved", "v2.3": "moved"},
           f"apply after unyanking v2.3.1 changed {changed}, want latest, v2, v2.3 moved")
    for a in ("latest", "v2", "v2.3"):
        expect(moved[a]["previousDigest"] == d["v2.3.0"] and moved[a]["digest"] == d["v2.3.1"],
               f"{a}: {moved[a]}")
        expect(head(reg, a) == d["v2.3.1"], f"registry HEAD {a}: {head(reg, a)}, want v2.3.1's")
    expect(moved.get("v2.3.1", {}).get("result") == "unchanged",
           f"v2.3.1's own alias: {moved.get('v2.3.1')}")

    # A backport moves its own major and minor only.
    d["v1.9.5"] = push(reg, "v1.9.5")
    sync(st)
    back = apply(st)
    changed = {a: r for a, r in results(back).items() if r != "unchanged"}
    expect(changed == {"v1": "moved", "v1.9": "moved"},
           f"apply after the v1.9.5 backport changed {changed}, want only v1 and v1.9 moved "
           f"(v1.9.5 is its own tag already, so unchanged)")
    expect("v1.9.5" in back and back["latest"]["result"] == "unchanged"
           and back["v2"]["result"] == "unchanged", f"backport apply: {results(back)}")
    for a in ("v1", "v1.9"):
        expect(head(reg, a) == d["v1.9.5"], f"registry HEAD {a}: {head(reg, a)}, want v1.9.5's")
    expect(head(reg, "latest") == d["v2.3.1"], f"latest moved by the backport: "
                                              f"{head(reg, 'latest')}")

    # Every created or moved tag is audited.
    r = call(st["client"], "GET", "/audit-events?resourceType=alias&pageSize=100", status=(200,))
    events = r.json()["data"]
    applies = [e for e in events if e["action"] == "alias.apply"]
    expect(len(applies) == len(events) == st["changes"],
           f"audit: {len(applies)} alias.apply of {len(events)} alias events, want "
           f"{st['changes']} (every created or moved alias); actions "
           f"{sorted({e['action'] for e in events})}")
    text = " ".join(e["summary"] + " " + e["resourceId"] for e in applies)
    for a in ("latest", "v2", "v2.3", "v1", "v1.9"):
        expect(a in text, f"no alias.apply event names {a}: {[e['summary'] for e in applies]}")


def check_unmanaged_latest(st: dict) -> None:
    reg, client = st["registry"], st["client"]
    head_of_main = push(reg, "latest", "head of main")
    expect(head(reg, "latest") == head_of_main, "the pushed latest is not served")
    c = call(client, "PUT", f"/components/{COMPONENT}", {"latestAlias": "unmanaged"},
             status=(200,)).json()
    expect(c.get("latestAlias") == "unmanaged", f"PUT latestAlias answered {c.get('latestAlias')}")
    listed = [a["alias"] for a in aliases(st)]
    expect("latest" not in listed and listed, f"aliases with unmanaged latest: {listed}")
    applied = apply(st)
    expect("latest" not in applied, f"apply reported latest: {applied.get('latest')}")
    expect(head(reg, "latest") == head_of_main,
           f"apply moved the unmanaged latest: {head(reg, 'latest')}, want {head_of_main}")
    c = call(client, "PUT", f"/components/{COMPONENT}", {"latestAlias": "highest"},
             status=(200,)).json()
    expect(c.get("latestAlias") == "highest", f"PUT back answered {c.get('latestAlias')}")
    expect("latest" in [a["alias"] for a in aliases(st)], "latest not listed after `highest`")


def check_http_caching(st: dict) -> None:
    server = st["server"]
    path = f"/updates/v1/latest/{COMPONENT}.json"
    r = get(server, path)
    expect(r.status == 200, f"GET {path} -> {r.status}")
    etag = r.headers.get("etag", "")
    expect(len(etag) > 2 and etag.startswith('"') and etag.endswith('"'),
           f"ETag {etag!r} is not a quoted strong tag")
    expect(r.headers.get("cache-control") == "public, max-age=60",
           f"Cache-Control {r.headers.get('cache-control')!r}")
    expect(r.headers.get("content-type", "").startswith("application/json"),
           f"Content-Type {r.headers.get('content-type')!r}")
    expect(r.body.endswith(b"\n") and json.loads(r.body), f"body {r.body!r}")
    for kind in ("major/v2", "minor/v2.3"):
        other = get(server, f"/updates/v1/{kind}/{COMPONENT}.json")
        tag = other.headers.get("etag", "")
        expect(tag.startswith('"') and other.headers.get("cache-control") == "public, max-age=60",
               f"{kind}: ETag {tag!r}, Cache-Control {other.headers.get('cache-control')!r}")
        nm = get(server, f"/updates/v1/{kind}/{COMPONENT}.json", {"If-None-Match": tag})
        expect(nm.status == 304 and nm.body == b"", f"{kind} If-None-Match -> {nm.status} "
                                                    f"{nm.body!r}")
    nm = get(server, path, {"If-None-Match": etag})
    expect(nm.status == 304 and nm.body == b"",
           f"If-None-Match {etag} -> {nm.status} {harness.excerpt(nm.body)} (want 304, no body)")

    top = feed(server, "latest")["tag"]
    yank(st, top, "caching check")
    try:
        after = get(server, path)
        expect(after.status == 200 and after.json()["tag"] != top,
               f"after yanking {top}: {after.status} {harness.excerpt(after.body)}")
        new_tag = after.headers.get("etag", "")
        expect(new_tag and new_tag != etag, f"ETag unchanged by the yank: {new_tag!r}")
        old = get(server, path, {"If-None-Match": etag})
        expect(old.status == 200 and old.json() == after.json(),
               f"the old ETag after a yank -> {old.status} {harness.excerpt(old.body)}")
    finally:
        unyank(st, top)

    for bad in ("latest/nope.json", f"major/v9/{COMPONENT}.json", f"minor/v2.9/{COMPONENT}.json"):
        r = get(server, "/updates/v1/" + bad)
        expect(r.status == 404 and r.headers.get("content-type", "").startswith(PROBLEM),
               f"GET /updates/v1/{bad} -> {r.status} {r.headers.get('content-type')} "
               f"{harness.excerpt(r.body)} (want 404 problem+json)")
    r = get(server, f"/updates/v1/major/x/{COMPONENT}.json")
    expect(r.status == 400 and r.headers.get("content-type", "").startswith(PROBLEM),
           f"GET /updates/v1/major/x/{COMPONENT}.json -> {r.status} "
           f"{r.headers.get('content-type')} {harness.excerpt(r.body)} (want 400 problem+json)")


def check_private_feeds(st: dict) -> None:
    server = harness.Server(st["binary"], harness.SqliteBackend(), "feeds-private")
    server.env = {"RELMAN_FEEDS_PUBLIC": "false"}
    try:
        server.start()
        client = server.client()
        integration = call(client, "POST", "/registry-integrations",
                           {"name": "feeds-registry", "url": st["registry"].url,
                            "insecure": True}).json()
        call(client, "POST", "/components", {"name": COMPONENT, "imageRepository": REPO,
                                              "registryIntegrationId": integration["id"]})
        call(client, "POST", f"/components/{COMPONENT}/sync-versions", {})
        for kind in ("latest", "major/v2", "minor/v2.3"):
            path = f"/updates/v1/{kind}/{COMPONENT}.json"
            anon = get(server, path)
            expect(anon.status == 401, f"anonymous GET {path} -> {anon.status} "
                                       f"{harness.excerpt(anon.body)} (want 401)")
            authed = get(server, path, token=True)
            expect(authed.status == 200, f"GET {path} with the admin token -> {authed.status} "
                                         f"{harness.excerpt(authed.body)}")
            expect(authed.headers.get("cache-control") == "private, max-age=60",
                   f"private {path}: Cache-Control {authed.headers.get('cache-control')!r}")
        latest = feed(server, "latest", token=True)
        expect(latest["digest"] == st["digests"].get(latest["tag"]),
               f"private latest {latest}")
    finally:
        server.close()


def check_gone(st: dict) -> None:
    reg, d = st["registry"], st["digests"]
    digest = d["v1.9.3"]
    status, body, _ = reg.request("DELETE", f"/v2/{REPO}/manifests/{digest}")
    if status == 405:
        raise Skipped(f"the registry refuses manifest deletes (405): {harness.excerpt(body)}")
    expect(status == 202, f"DELETE /v2/{REPO}/manifests/{digest} on the registry -> {status} "
                          f"{harness.excerpt(body)}")
    expect(head(reg, "v1.9.3") is None, "the registry still serves v1.9.3 after the delete")
    sync(st)
    live = versions(st)
    expect("v1.9.3" not in live, f"versions still lists v1.9.3: {live.get('v1.9.3')}")
    expect(live.get("v1.9.4", {}).get("gone") is False, f"v1.9.4: {live.get('v1.9.4')}")
    every = versions(st, include_gone=True)
    v = every.get("v1.9.3")
    expect(v is not None and v["gone"] is True,
           f"versions?includeGone=true: v1.9.3 is {v} (want listed with gone: true)")
    want_minor = ["v1.9.4", "v1.9.5"] if "v1.9.5" in d else ["v1.9.4"]
    expect_feeds(st, {"minor/v1.9": want_minor, "major/v1": ["v1.9"]})
    expect("v1.9.3" not in {a["alias"] for a in aliases(st)}, "alias v1.9.3 still listed")


CHECKS = [
    ("a. seed shapes: latest v2.3.0, major v2/v1, minor v2.3, no rc, registry digest",
     check_seed_shapes),
    ("b. growth: v1.9.4 and v2.3.1 pushed and synced reach latest and the minors", check_growth),
    ("c. yank: latest, minor, aliases fall back; yanked listed with reason; minor leaves its "
     "major; unyank restores", check_yank),
    ("d. aliases applied: dry run pushes nothing, apply, unchanged, moved on unyank, backport, "
     "audit", check_aliases_applied),
    ("e. unmanaged latest: not listed, the registry's latest untouched by apply",
     check_unmanaged_latest),
    ("f. HTTP caching: strong ETag, 304, new ETag on yank, Cache-Control, 404/400 problems",
     check_http_caching),
    ("g. private feeds: 401 without token, 200 with, Cache-Control private", check_private_feeds),
    ("h. gone: a deleted manifest leaves versions, shows with includeGone, leaves the feeds",
     check_gone),
]


def setup(st: dict) -> None:
    """The registry holds v1.9.3, v2.2.0, v2.3.0, v2.3.1-rc.1; an integration, `api`, a sync."""
    reg, client = st["registry"], st["client"]
    for tag in ("v1.9.3", "v2.2.0", "v2.3.0", "v2.3.1-rc.1"):
        st["digests"][tag] = push(reg, tag)
    expect(len(set(st["digests"].values())) == 4, f"digests not distinct: {st['digests']}")
    integration = call(client, "POST", "/registry-integrations",
                       {"name": "feeds-registry", "url": reg.url, "insecure": True}).json()
    call(client, "POST", "/components", {"name": COMPONENT, "imageRepository": REPO,
                                          "registryIntegrationId": integration["id"]})
    sync(st)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    tmp = tempfile.mkdtemp(prefix="relman-feeds-")
    registry = oci.Registry(tmp, harness.free_port())
    server = harness.Server(binary, harness.SqliteBackend(), "feeds")
    st = {"binary": binary, "registry": registry, "server": server, "digests": {}, "changes": 0}
    passed = failed = skipped = 0
    try:
        try:
            server.start()
            st["client"] = server.client()
            setup(st)
        except Exception as e:
            print(f"FAIL setup (SQLite server, registry, integration, component, sync): {e}")
            failed += 1
        for title, fn in CHECKS:
            try:
                fn(st)
                passed += 1
                print(f"PASS {title}", flush=True)
            except Skipped as e:
                skipped += 1
                print(f"SKIP {title}: {e}", flush=True)
            except KeyError as e:
                failed += 1
                print(f"FAIL {title}: needs {e} from an earlier step that failed", flush=True)
            except Exception as e:
                failed += 1
                detail = str(e) if isinstance(e, (Failed, harness.TestFailure)) else \
                    traceback.format_exc(limit=3)
                print(f"FAIL {title}: {detail}", flush=True)
    finally:
        server.close()
        registry.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
