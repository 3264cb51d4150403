"""Black-box check of outgoing webhooks against a relman-server binary, as a new user would do
it: a real receiver verifying every delivery with PyPI `standardwebhooks`, a real docker-registry
for the sync, then the unhappy paths (receiver answering 503 or down, 410 Gone, a wrong secret,
refused egress, secrets in logs) and kill -9 between commit and delivery on SQLite and, when
RELMAN_TEST_POSTGRES_URL is set, PostgreSQL. Each check prints PASS, FAIL or SKIP; the exit
status is 1 when any failed.

    python check.py --binary target/release/relman-server      (standardwebhooks installed)
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts", "reliability"))
sys.path.insert(0, os.path.join(ROOT, "scripts", "attestation"))

import harness  # noqa: E402  the reliability tests' server process and HTTP client
import oci  # noqa: E402  the attestation check's docker-registry
from receiver import Receiver  # noqa: E402
from standardwebhooks import Webhook, WebhookVerificationError  # noqa: E402

EVENTS = ["release.created", "release.ready", "release.deprecated", "release.deleted",
          "deployment.started", "deployment.succeeded", "deployment.failed", "version.added",
          "version.retagged", "version.yanked", "alias.moved", "sync.failed"]
REPO = "acme/api"
COMPONENT = "api"
PROBLEM = "application/problem+json"

# Fast retries so that the unhappy paths take seconds. The names are the server's settings.
WEBHOOK_ENV = {
    "RELMAN_EGRESS_ALLOW": "loopback",
    "RELMAN_WEBHOOK_RETRY_SCHEDULE": "1s,2s,2s,3s",
    "RELMAN_WEBHOOK_TIMEOUT": "3s",
}

DELIVERY_TIMEOUT = 15.0       # a delivery to a healthy receiver arrives within this
RECOVERY_TIMEOUT = 20.0       # after the receiver is back, the pending delivery arrives within this
KILL_WRITERS = int(os.environ.get("WEBHOOKS_KILL_WRITERS", "6"))
KILL_LOAD = (1.5, 3.0)        # the kill comes at a random moment in this window (seconds of load)
KILL_PACE = 0.02              # each writer pauses this long between creates: a bounded backlog
KILL_DELIVERY_TIMEOUT = float(os.environ.get("WEBHOOKS_KILL_DELIVERY_TIMEOUT", "60"))
SLOW = 0.2                    # the slow receiver's answer time, so that deliveries are in flight


class Failed(Exception):
    """A check did not hold; the message says what was seen."""


class Skipped(Exception):
    """A check cannot run in this setup; the message says why."""


def expect(cond, message: str) -> None:
    if not cond:
        raise Failed(message)


def call(client, method, path, body=None, status=(200, 201)):
    r = client.call(method, path, body)
    expect(r.status in status, f"{method} {path} -> {r.status}: "
                               f"{redact(harness.excerpt(r.body, 400))}")
    return r


def wait_for(fn, timeout: float, step: float = 0.2):
    """Calls `fn()` until it returns something truthy; returns that, or the last falsy value."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(step)


def parse_time(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def same_time(a, b) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return abs((parse_time(a) - parse_time(b)).total_seconds()) < 0.001
    except (TypeError, ValueError):
        return False


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def keys_named(obj, name: str, path: str = "$") -> list[str]:
    """Paths of every object key `name` anywhere in `obj`."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == name:
                out.append(f"{path}.{k}")
            out += keys_named(v, name, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += keys_named(v, name, f"{path}[{i}]")
    return out


def secret_forms(secret: str) -> list[str]:
    """The secret as given and its base64 key alone (a log that strips the prefix leaks too)."""
    key = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    return [secret, key]


def next_link(headers: dict) -> str | None:
    for part in (headers.get("link") or "").split(","):
        m = re.match(r'\s*<([^>]+)>\s*;\s*rel="?next"?', part)
        if m:
            return m.group(1)
    return None


def api_path(link: str) -> str:
    u = urllib.parse.urlsplit(link)
    return u.path + ("?" + u.query if u.query else "")


def deliveries(client, webhook_id: str, limit: int = 100, status: str | None = None) -> list:
    """Every delivery of a webhook, newest first, following `Link: rel="next"`."""
    path = f"/webhooks/{webhook_id}/deliveries?limit={limit}" + (f"&status={status}" if status else "")
    out = []
    for _ in range(1000):
        r = call(client, "GET", path, status=(200,))
        page = r.json()
        expect(isinstance(page, list), f"GET {path}: not a JSON array: {harness.excerpt(r.body)}")
        out += page
        link = next_link(r.headers)
        if not link:
            return out
        path = api_path(link)
    raise Failed(f"more than 1000 pages of deliveries for webhook {webhook_id}")


def delivery_of(client, webhook_id: str, event_id: str) -> dict | None:
    for d in deliveries(client, webhook_id):
        if d.get("eventId") == event_id:
            return d
    return None


def brief(d: dict | None) -> str:
    if not d:
        return "none"
    keys = ("eventType", "status", "attempts", "lastStatus", "lastError", "nextAttemptAt")
    return "{" + ", ".join(f"{k}={d.get(k)!r}" for k in keys) + "}"


def start_server(binary: str, backend, label: str, egress: bool = True,
                 log: str = "info") -> harness.Server:
    server = harness.Server(binary, backend, label)
    server.env = dict(WEBHOOK_ENV)
    if not egress:  # explicitly strict: the shared harness may default to loopback
        server.env["RELMAN_EGRESS_ALLOW"] = ""
    server.env["RUST_LOG"] = log
    try:
        server.start()
    except BaseException:
        server.close()
        raise
    return server


def server_logs(server: harness.Server) -> str:
    text = []
    for i in range(1, server.starts + 1):
        try:
            with open(os.path.join(server.data_dir, f"server-{i}.log"), "rb") as f:
                text.append(f.read().decode("utf-8", "replace"))
        except OSError:
            pass
    return "\n".join(text)


def settings_note(server: harness.Server) -> str | None:
    """A FAIL-worthy explanation when the server ignored the fast-retry settings."""
    logs = server_logs(server)
    for name in WEBHOOK_ENV:
        for line in logs.splitlines():
            if name in line and re.search(r"unknown|not recogni[sz]ed|ignor", line, re.I):
                return (f"the server does not know {name} ({harness.excerpt(line, 200)}); see "
                        f"`relman-server --help` / bins/relman-server/src/config.rs for the name")
    return None


def register(client, url: str, events: list[str], secret: str | None = None,
             description: str | None = None) -> dict:
    body = {"url": url, "events": events}
    if secret is not None:
        body["secret"] = secret
    if description is not None:
        body["description"] = description
    r = call(client, "POST", "/webhooks", body, status=(201,))
    w = r.json()
    expect(w.get("id") and w.get("url") == url and w.get("active") is True
           and w.get("disabledReason") is None and w.get("createdAt") and w.get("updatedAt"),
           f"POST /webhooks answered {harness.excerpt(r.body, 400)} (want id, url, active true, "
           f"disabledReason null, createdAt, updatedAt)")
    expect(sorted(w.get("events") or []) == sorted(events),
           f"POST /webhooks: events {w.get('events')}, asked for {events}")
    loc = r.headers.get("location", "")
    expect(loc.endswith("/webhooks/" + w["id"]), f"POST /webhooks: Location {loc!r}")
    return w


# ---------------------------------------------------------------------------------------------
# Registry


def push(reg: oci.Registry, tag: str) -> str:
    """Pushes a single-platform image under `tag` with its own layer; returns the manifest digest."""
    layer = {"mediaType": oci.OCI_LAYER, **reg.blob(REPO, f"layer {REPO} {tag}".encode())}
    config = {"architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
              "config": {"Labels": {"org.example.build": tag}},
              "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}
    doc = {"schemaVersion": 2, "mediaType": oci.OCI_MANIFEST,
           "config": {"mediaType": oci.OCI_CONFIG, **reg.blob(REPO, json.dumps(config).encode())},
           "layers": [layer]}
    return reg.manifest(REPO, tag, doc, oci.OCI_MANIFEST)


# ---------------------------------------------------------------------------------------------
# Payload checks


def release_id(s) -> str | None:
    """`data.release.id` of a recorded request, if it has one."""
    data = s.data if isinstance(s.data, dict) else {}
    release = data.get("release")
    return release.get("id") if isinstance(release, dict) else None


def await_event(recv: Receiver, type_: str, pred, what: str, timeout: float = DELIVERY_TIMEOUT):
    got = recv.wait(lambda seen: [s for s in seen if s.type == type_ and isinstance(s.data, dict)
                                  and pred(s.data)], timeout)
    if not got:
        seen = recv.snapshot()
        raise Failed(f"no {type_} for {what} reached the receiver within {timeout:.0f}s; it saw "
                     f"{len(seen)} requests: {[(s.type, s.answered) for s in seen][-12:]}")
    return got


def check_envelope(s) -> None:
    body = json.loads(s.body)
    expect(set(body) == {"type", "timestamp", "data"},
           f"{s.type}: body members {sorted(body)} (want type, timestamp, data)")
    ts = parse_time(body["timestamp"])
    age = abs((dt.datetime.now(dt.timezone.utc) - ts).total_seconds())
    expect(age < 300, f"{s.type}: payload timestamp {body['timestamp']} is {age:.0f}s off")
    sig = s.headers.get("webhook-signature", "")
    expect(sig.startswith("v1,"), f"{s.type}: webhook-signature {sig!r} (want v1,<base64>)")
    expect(s.headers.get("content-type", "").startswith("application/json"),
           f"{s.type}: Content-Type {s.headers.get('content-type')!r}")


def release_ref_matches(ref, rel: dict, status: str) -> str | None:
    """None when `ref` names `rel` (from the API) with `status`; else what differs."""
    if not isinstance(ref, dict):
        return f"data.release is {ref!r}"
    want = {"id": rel["id"], "name": rel["name"], "status": status,
            "contentDigest": rel["digest"], "version": rel.get("version")}
    diff = {k: (ref.get(k), v) for k, v in want.items() if ref.get(k) != v}
    return None if not diff else "data.release differs (got, want): " + json.dumps(diff)


# ---------------------------------------------------------------------------------------------
# Checks


def check_receiver(st: dict) -> None:
    """The receiver itself: accepts a correctly signed request, refuses a tampered one, answers
    503 when told to and nothing at all when stopped."""
    import http.client
    secret = new_secret()
    recv = Receiver(secret, label="selftest")
    try:
        signer = Webhook(secret)

        def post(body: bytes, sign_body: bytes | None = None) -> int:
            msg_id = "msg_selftest_" + os.urandom(4).hex()
            now = dt.datetime.now(dt.timezone.utc)
            sig = signer.sign(msg_id, now, (sign_body or body).decode())
            c = http.client.HTTPConnection("127.0.0.1", recv.port, timeout=5)
            try:
                c.request("POST", "/hooks/selftest", body=body, headers={
                    "webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": sig, "content-type": "application/json"})
                r = c.getresponse()
                r.read()
                return r.status
            finally:
                c.close()

        body = json.dumps({"type": "release.created", "timestamp": "2026-01-01T00:00:00Z",
                           "data": {"release": {"id": "x"}}}).encode()
        expect(post(body) == 200, "a correctly signed request was not answered 200")
        expect(post(body.replace(b'"x"', b'"y"'), sign_body=body) == 401,
               "a tampered body was not refused (401)")
        seen = recv.snapshot()
        expect([s.verified for s in seen] == [True, False], f"verified flags {seen}")
        expect(seen[0].type == "release.created" and seen[0].data == {"release": {"id": "x"}},
               f"recorded {seen[0].type} {seen[0].data}")
        recv.mode = "503"
        expect(post(body) == 503, "mode 503 did not answer 503")
        recv.mode = "ok"
        recv.stop()
        try:
            post(body)
            raise Failed("a stopped receiver still accepted a connection")
        except ConnectionRefusedError:
            pass
        recv.start()
        expect(post(body) == 200, "the restarted receiver did not answer 200 on the same port")
    finally:
        recv.close()


def check_new_user_flow(st: dict) -> None:
    client, reg, recv = st["client"], st["registry"], st["recv"]
    # Payload mismatches are collected, so that one run reports all of them.
    mismatches: list[str] = []

    def soft(cond, message: str) -> None:
        if not cond:
            mismatches.append(message)

    # Register for every event; the secret is generated and shown once.
    w = register(client, recv.url, EVENTS, description="e2e: everything")
    secret = w.get("secret")
    expect(isinstance(secret, str) and secret.startswith("whsec_"),
           f"POST /webhooks without a secret: secret {secret!r} (want a generated whsec_…)")
    try:
        key = base64.b64decode(secret[len("whsec_"):] + "==", validate=False)
    except ValueError as e:
        raise Failed(f"generated secret is not base64 after whsec_: {e}")
    expect(len(key) >= 16, f"generated secret has {len(key)} key bytes (design: 24)")
    st["secrets"].append(secret)
    st["webhook"] = w
    recv.secret = secret
    for path in (f"/webhooks/{w['id']}", "/webhooks"):
        r = call(client, "GET", path, status=(200,))
        expect(not keys_named(r.json(), "secret") and secret.encode() not in r.body,
               f"GET {path} shows a secret: {keys_named(r.json(), 'secret')}")
    got = call(client, "GET", f"/webhooks/{w['id']}", status=(200,)).json()
    expect(got.get("id") == w["id"] and got.get("url") == recv.url and got.get("active") is True,
           f"GET /webhooks/{w['id']} -> {got}")

    # A component on the registry with a pushed tag; the sync finds it: version.added.
    digest = push(reg, "v1.0.0")
    integration = call(client, "POST", "/registry-integrations",
                       {"name": "webhooks-registry", "url": reg.url, "insecure": True}).json()
    comp = call(client, "POST", "/components",
                {"name": COMPONENT, "imageRepository": REPO,
                 "registryIntegrationId": integration["id"]}).json()
    st["component"] = comp
    sync = call(client, "POST", f"/components/{COMPONENT}/sync-versions", {}).json()
    expect(sync.get("added") == 1, f"sync answered added={sync.get('added')} (want 1): {sync}")
    versions = call(client, "GET", f"/components/{COMPONENT}/versions?limit=10", status=(200,)).json()
    expect([(v["tag"], v["digest"]) for v in versions] == [("v1.0.0", digest)],
           f"versions after the sync: {[(v['tag'], v['digest']) for v in versions]}")
    if shutil.which("skopeo"):
        out = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                              f"docker://{reg.host}/{REPO}:v1.0.0"], capture_output=True, timeout=60)
        expect(out.returncode == 0, f"skopeo inspect exited {out.returncode}: "
                                    f"{out.stderr.decode(errors='replace').strip()}")
        raw = "sha256:" + hashlib.sha256(out.stdout).hexdigest()
        expect(raw == digest, f"skopeo: the registry's v1.0.0 is {raw}, pushed {digest}")
    [added] = await_event(recv, "version.added", lambda d: (d.get("component") or {}).get("id")
                          == comp["id"], f"component {COMPONENT}")[:1]
    want_comp = {"id": comp["id"], "name": comp["name"], "imageRepository": REPO}
    soft(added.data.get("component") == want_comp and added.data.get("tag") == "v1.0.0"
         and added.data.get("digest") == digest and "previousDigest" not in added.data,
         f"version.added data {added.data}, want component {want_comp}, tag v1.0.0, "
         f"digest {digest}, no previousDigest")
    expected = [("version.added", added.webhook_id)]

    # A release (a draft: release.created), then ready (release.ready).
    rel = call(client, "POST", "/releases",
               {"name": "shop-1.0.0", "version": "1.0.0",
                "components": [{"componentId": COMPONENT, "version": "1.0.0"}]}, status=(201,)).json()
    st["release"] = rel
    expect([m.get("digest") for m in rel.get("components", [])] == [digest],
           f"release members {rel.get('components')}, want the synced digest")
    [created] = await_event(recv, "release.created",
                            lambda d: (d.get("release") or {}).get("id") == rel["id"],
                            "shop-1.0.0")[:1]
    problem = release_ref_matches(created.data.get("release"), rel, rel["status"])
    soft(problem is None, f"release.created: {problem}")
    expected.append(("release.created", created.webhook_id))
    if rel["status"] == "ready":
        ready_rel = rel
    else:
        ready_rel = call(client, "PUT", "/releases/shop-1.0.0", {"status": "ready"},
                         status=(200,)).json()
        expect(ready_rel.get("status") == "ready", f"PUT status ready answered {ready_rel}")
    [ready] = await_event(recv, "release.ready",
                          lambda d: (d.get("release") or {}).get("id") == rel["id"],
                          "shop-1.0.0")[:1]
    problem = release_ref_matches(ready.data.get("release"), ready_rel, "ready")
    soft(problem is None, f"release.ready: {problem}")
    expected.append(("release.ready", ready.webhook_id))

    # An environment and a promotion: deployment.started, then the CD tool's report.
    env = call(client, "POST", "/environments",
               {"name": "staging", "displayName": "Staging", "order": 10}, status=(201,)).json()
    dep = call(client, "POST", "/releases/shop-1.0.0/promote", {"environmentId": "staging"},
               status=(201,)).json()
    [started] = await_event(recv, "deployment.started",
                            lambda d: d.get("deploymentId") == dep["id"], "the promotion")[:1]
    promoting = call(client, "GET", f"/releases/{rel['id']}", status=(200,)).json()

    def check_deployment(s, d: dict, release_now: dict) -> None:
        data = s.data
        want = {"deploymentId": d["id"], "status": d["status"], "environment": env["name"],
                "environmentId": env["id"], "startedBy": d["startedBy"],
                "message": d.get("message")}
        diff = {k: (data.get(k), v) for k, v in want.items() if data.get(k) != v}
        soft(not diff, f"{s.type}: data differs from the API's deployment (got, want): "
                       f"{json.dumps(diff)}")
        soft(same_time(data.get("startedAt"), d["startedAt"])
             and same_time(data.get("completedAt"), d.get("completedAt")),
             f"{s.type}: startedAt/completedAt {data.get('startedAt')}/{data.get('completedAt')}"
             f", API {d['startedAt']}/{d.get('completedAt')}")
        problem = release_ref_matches(data.get("release"), release_now, release_now["status"])
        soft(problem is None, f"{s.type}: {problem}")

    expect(dep.get("status") == "in_progress", f"promote answered {dep}")
    check_deployment(started, dep, promoting)
    expected.append(("deployment.started", started.webhook_id))
    done = call(client, "POST", f"/deployments/{dep['id']}/complete",
                {"outcome": "succeeded", "message": "rolled out"}, status=(200,)).json()
    [succeeded] = await_event(recv, "deployment.succeeded",
                              lambda d: d.get("deploymentId") == dep["id"], "the deployment")[:1]
    deployed = call(client, "GET", f"/releases/{rel['id']}", status=(200,)).json()
    check_deployment(succeeded, done, deployed)
    expected.append(("deployment.succeeded", succeeded.webhook_id))

    st["expected"] = expected
    # Every request verified; every envelope well formed; the deliveries list agrees.
    seen = recv.snapshot()
    bad = [s for s in seen if not s.verified]
    expect(not bad, f"{len(bad)} of {len(seen)} requests failed verification: "
                    f"{[(s.type, s.error) for s in bad][:5]}")
    for s in seen:
        check_envelope(s)
    ids = [i for _, i in expected]
    expect(len(set(ids)) == len(ids) and all(ids), f"webhook-ids not distinct: {expected}")

    def all_done():
        ds = deliveries(client, w["id"])
        by_event = {d.get("eventId"): d for d in ds}
        if all((by_event.get(i) or {}).get("status") == "succeeded" for i in ids):
            return ds
        return None

    ds = wait_for(all_done, 10) or deliveries(client, w["id"])
    by_event = {d.get("eventId"): d for d in ds}
    for type_, i in expected:
        d = by_event.get(i)
        expect(d is not None, f"{type_} (webhook-id {i}) is not in GET /webhooks/{w['id']}/"
                              f"deliveries: {[brief(x) for x in ds]}")
        expect(d["eventType"] == type_ and d["status"] == "succeeded" and d["lastStatus"] == 200
               and d["attempts"] >= 1 and d.get("lastError") is None and d.get("lastAttemptAt")
               and d.get("nextAttemptAt") is None and d.get("id") and d.get("createdAt"),
               f"delivery of {type_}: {d} (want succeeded, lastStatus 200, attempts >= 1, no "
               f"lastError, lastAttemptAt set, nextAttemptAt null)")
    extra = sorted({d["eventType"] for d in ds} - {t for t, _ in expected})
    if extra:
        print(f"    note: also delivered: {extra}")
    created_at = [parse_time(d["createdAt"]) for d in ds]
    expect(created_at == sorted(created_at, reverse=True),
           f"deliveries not newest first: {[d['createdAt'] for d in ds]}")
    # Paging: limit=2 with Link rel="next" walks the same list.
    paged, path, pages = [], f"/webhooks/{w['id']}/deliveries?limit=2", 0
    while path and pages < 50:
        r = call(client, "GET", path, status=(200,))
        page = r.json()
        expect(len(page) <= 2, f"GET {path}: {len(page)} items for limit=2")
        paged += page
        pages += 1
        link = next_link(r.headers)
        expect(link or len(paged) == len(ds), f"GET {path}: no Link rel=next after "
                                              f"{len(paged)} of {len(ds)} deliveries")
        path = api_path(link) if link else None
    expect([d["id"] for d in paged] == [d["id"] for d in ds],
           f"paging with limit=2 gave {len(paged)} deliveries in {pages} pages, the full list "
           f"{len(ds)}")
    st["expected"] = expected
    expect(not mismatches, "payloads differ from the API's resources:\n" + "\n".join(mismatches))
    print(f"    {len(expected)} events delivered and verified: "
          f"{', '.join(t for t, _ in expected)}; {len(ds)} deliveries in {pages} pages of 2")


def check_redeliver(st: dict) -> None:
    client, recv, w = st["client"], st["recv"], st["webhook"]
    event_id = dict(st["expected"])["release.created"]
    d = delivery_of(client, w["id"], event_id)
    expect(d and d["status"] == "succeeded", f"release.created delivery before redeliver: {brief(d)}")
    before = [s for s in recv.snapshot() if s.webhook_id == event_id]
    path = f"/webhooks/{w['id']}/deliveries/{d['id']}/redeliver"
    r = call(client, "POST", path, status=(202,))
    again = r.json()
    expect(again.get("id") == d["id"] and again.get("eventId") == event_id
           and again.get("status") == "pending",
           f"POST {path} answered {harness.excerpt(r.body, 300)} (want the delivery, pending)")
    got = recv.wait(lambda seen: len([s for s in seen if s.webhook_id == event_id]) > len(before),
                    DELIVERY_TIMEOUT)
    expect(got, f"the redelivered event {event_id} did not reach the receiver within "
                f"{DELIVERY_TIMEOUT:.0f}s")
    latest = [s for s in recv.snapshot() if s.webhook_id == event_id][-1]
    expect(latest.verified and latest.data == before[0].data and latest.type == "release.created",
           f"redelivered request: verified={latest.verified}, data {latest.data}")
    done = wait_for(lambda: (lambda x: x if x and x["status"] == "succeeded" else None)(
        delivery_of(client, w["id"], event_id)), 10)
    expect(done and done["attempts"] > d["attempts"] and done["lastStatus"] == 200,
           f"after redeliver: {brief(done)} (want succeeded, attempts > {d['attempts']})")


def check_receiver_503(st: dict) -> None:
    client, recv, w = st["client"], st["recv"], st["webhook"]
    recv.mode = "503"
    try:
        rel = call(client, "POST", "/releases",
                   {"name": "shop-1.0.1", "components": [{"componentId": COMPONENT}]},
                   status=(201,)).json()
        mine = lambda seen: [s for s in seen if s.type == "release.created"  # noqa: E731
                             and release_id(s) == rel["id"]]
        failed = recv.wait(lambda seen: (lambda m: m if len(m) >= 2 else None)(mine(seen)), 10)
        expect(failed, f"the receiver saw {len(mine(recv.snapshot()))} attempts of "
                       f"release.created for shop-1.0.1 within 10s (want >= 2 answered 503: "
                       f"RELMAN_WEBHOOK_RETRY_SCHEDULE=1s,… in effect?)")
        ids = {s.webhook_id for s in failed}
        expect(len(ids) == 1 and all(s.answered == 503 and s.verified for s in failed),
               f"failed attempts: {failed} (want one webhook-id, verified, answered 503)")
        event_id = ids.pop()

        def pending_retry():
            d = delivery_of(client, w["id"], event_id)
            if d and d["attempts"] >= 2 and d["status"] == "pending" and d.get("nextAttemptAt"):
                return d
            return None

        d = wait_for(pending_retry, 5, 0.1)
        expect(d, f"delivery of shop-1.0.1's release.created while the receiver answers 503: "
                  f"{brief(delivery_of(client, w['id'], event_id))} (want pending, attempts >= 2, "
                  f"nextAttemptAt)")
        expect(d["lastStatus"] == 503 and d.get("lastError") and "503" in d["lastError"],
               f"pending delivery: lastStatus {d['lastStatus']}, lastError {d.get('lastError')!r} "
               f"(want 503, an error naming it)")
        expect(parse_time(d["nextAttemptAt"]) > parse_time(d["lastAttemptAt"]),
               f"nextAttemptAt {d['nextAttemptAt']} not after lastAttemptAt {d['lastAttemptAt']}")
    finally:
        recv.mode = "ok"
    t0 = time.monotonic()
    done = wait_for(lambda: (lambda x: x if x and x["status"] == "succeeded" else None)(
        delivery_of(client, w["id"], event_id)), RECOVERY_TIMEOUT)
    expect(done, f"{RECOVERY_TIMEOUT:.0f}s after the receiver answered 200 again: "
                 f"{brief(delivery_of(client, w['id'], event_id))} (want succeeded)")
    ok = [s for s in recv.snapshot() if s.webhook_id == event_id and s.answered == 200]
    expect(ok, "the delivery is marked succeeded but the receiver never answered 200 for "
               f"webhook-id {event_id}")
    attempts = [s for s in recv.snapshot() if s.webhook_id == event_id]
    print(f"    webhook-id {event_id}: {len(attempts) - len(ok)} attempts answered 503, then "
          f"delivered {time.monotonic() - t0:.1f}s after recovery; attempts {done['attempts']}")


def check_receiver_down(st: dict) -> None:
    client, recv, w = st["client"], st["recv"], st["webhook"]
    known = {d["eventId"] for d in deliveries(client, w["id"])}
    recv.stop()
    try:
        rel = call(client, "POST", "/releases",
                   {"name": "shop-1.0.2", "components": [{"componentId": COMPONENT}]},
                   status=(201,)).json()

        def pending_retry():
            new = [d for d in deliveries(client, w["id"]) if d["eventId"] not in known
                   and d["eventType"] == "release.created"]
            if new and new[0]["attempts"] >= 2 and new[0]["status"] == "pending" \
                    and new[0].get("nextAttemptAt"):
                return new[0]
            return None

        d = wait_for(pending_retry, 10, 0.1)
        expect(d, "with the receiver's socket closed, no release.created delivery showed "
                  "attempts >= 2, pending, nextAttemptAt within 10s: "
                  f"{[brief(x) for x in deliveries(client, w['id']) if x['eventId'] not in known]}")
        expect(d.get("lastStatus") is None and d.get("lastError"),
               f"pending delivery to a closed port: lastStatus {d.get('lastStatus')}, lastError "
               f"{d.get('lastError')!r} (want no status, a transport error)")
        event_id = d["eventId"]
    finally:
        recv.start()
    t0 = time.monotonic()
    done = wait_for(lambda: (lambda x: x if x and x["status"] == "succeeded" else None)(
        delivery_of(client, w["id"], event_id)), RECOVERY_TIMEOUT)
    expect(done, f"{RECOVERY_TIMEOUT:.0f}s after the receiver came back: "
                 f"{brief(delivery_of(client, w['id'], event_id))} (want succeeded)")
    got = [s for s in recv.snapshot() if s.webhook_id == event_id]
    expect(got and got[-1].verified and release_id(got[-1]) == rel["id"],
           f"the receiver got {got} for webhook-id {event_id} (want release.created of "
           f"shop-1.0.2, verified)")
    print(f"    delivered {time.monotonic() - t0:.1f}s after the receiver came back, attempt "
          f"{done['attempts']}, lastError before: {d.get('lastError')!r}")


def check_gone(st: dict) -> None:
    client = st["client"]
    gone = Receiver(label="gone")
    st["receivers"].append(gone)
    gone.mode = "410"
    w = register(client, gone.url, ["release.created"], description="e2e: answers 410")
    gone.secret = w.get("secret")
    st["secrets"].append(gone.secret)
    call(client, "POST", "/releases",
         {"name": "shop-gone-1", "components": [{"componentId": COMPONENT}]}, status=(201,))

    def failed():
        ds = deliveries(client, w["id"])
        return ds if ds and ds[0]["status"] == "failed" else None

    ds = wait_for(failed, DELIVERY_TIMEOUT)
    expect(ds, f"delivery to an endpoint answering 410: {[brief(d) for d in deliveries(client, w['id'])]} "
               f"(want failed)")
    d = ds[0]
    expect(d["lastStatus"] == 410 and d["attempts"] == 1,
           f"410 delivery: {brief(d)} (want lastStatus 410 after one attempt)")
    seen = gone.snapshot()
    expect(len(seen) == 1 and seen[0].verified and seen[0].answered == 410,
           f"the 410 receiver saw {seen} (want one verified request)")
    got = call(client, "GET", f"/webhooks/{w['id']}", status=(200,)).json()
    expect(got.get("active") is False and got.get("disabledReason"),
           f"GET /webhooks/{w['id']} after a 410: active {got.get('active')}, disabledReason "
           f"{got.get('disabledReason')!r} (want false and a reason)")
    # A deactivated webhook hears nothing more.
    call(client, "POST", "/releases",
         {"name": "shop-gone-2", "components": [{"componentId": COMPONENT}]}, status=(201,))
    time.sleep(2.5)
    expect(len(gone.snapshot()) == 1 and len(deliveries(client, w["id"])) == 1,
           f"the deactivated webhook still got events: {len(gone.snapshot())} requests, "
           f"{len(deliveries(client, w['id']))} deliveries")
    # Turned back on by hand; the reason goes.
    back = call(client, "PATCH", f"/webhooks/{w['id']}", {"active": True}, status=(200,)).json()
    expect(back.get("active") is True and back.get("disabledReason") is None
           and not keys_named(back, "secret"),
           f"PATCH active=true answered {back} (want active, disabledReason null, no secret)")
    call(client, "DELETE", f"/webhooks/{w['id']}", status=(204,))
    print(f"    disabledReason: {got.get('disabledReason')!r}")


def check_wrong_secret(st: dict) -> None:
    client = st["client"]
    given = new_secret()
    st["secrets"].append(given)
    wrong = Receiver(new_secret(), label="wrong-secret")
    st["receivers"].append(wrong)
    w = register(client, wrong.url, ["release.created"], secret=given,
                 description="e2e: receiver has another secret")
    expect("secret" not in w, f"POST /webhooks with a given secret echoed a secret: {w}")
    rel = call(client, "POST", "/releases",
               {"name": "shop-wrong-1", "components": [{"componentId": COMPONENT}]},
               status=(201,)).json()
    got = wrong.wait(lambda seen: seen, DELIVERY_TIMEOUT)
    expect(got, f"the wrong-secret receiver saw no request within {DELIVERY_TIMEOUT:.0f}s")
    s = got[0]
    expect(not s.verified and s.error and s.answered == 401,
           f"a receiver with another secret verified the delivery: {s} ({s.error})")
    # The same bytes verify with the secret the webhook was given: the check can tell.
    try:
        Webhook(given).verify(s.body, s.headers)
    except WebhookVerificationError as e:
        raise Failed(f"the delivery does not verify with the given secret either: {e}")
    expect(release_id(s) == rel["id"], f"payload {s.data}")
    d = wait_for(lambda: (lambda ds: ds[0] if ds and ds[0]["attempts"] >= 1 else None)(
        deliveries(client, w["id"])), 5)
    expect(d and d["lastStatus"] == 401 and d["status"] in ("pending", "failed"),
           f"delivery answered 401: {brief(d)} (want pending or failed, lastStatus 401)")
    call(client, "DELETE", f"/webhooks/{w['id']}", status=(204,))
    r = client.call("GET", f"/webhooks/{w['id']}")
    expect(r.status == 404, f"GET a deleted webhook -> {r.status}")
    listed = [x["id"] for x in call(client, "GET", "/webhooks", status=(200,)).json()]
    expect(w["id"] not in listed, "a deleted webhook is still listed")
    print(f"    wrong secret: {s.error}; verifies with the given secret")


def redact(text: str) -> str:
    return re.sub(r"whsec_[A-Za-z0-9+/=]+", "whsec_***", text)


def expect_refused(client, method: str, path: str, body: dict, why: str) -> str:
    r = client.call(method, path, body)
    r.body = redact(r.body.decode("utf-8", "replace")).encode()
    ctype = r.headers.get("content-type", "")
    expect(r.status == 400 and ctype.startswith(PROBLEM),
           f"{method} {path} with url {body.get('url')} ({why}) -> {r.status} {ctype} "
           f"{harness.excerpt(r.body, 300)} (want 400 problem+json)")
    p = r.json() or {}
    fields = [e.get("field") for e in p.get("errors") or []]
    expect(p.get("code") == "validation_failed" and "url" in fields,
           f"{method} {path} with url {body.get('url')}: code {p.get('code')!r}, fields {fields} "
           f"(design: validation_failed naming `url`); {harness.excerpt(r.body, 300)}")
    msgs = [e.get("message") for e in p.get("errors") or [] if e.get("field") == "url"]
    return msgs[0] if msgs else p.get("detail", "")


def check_egress(st: dict) -> None:
    client, w = st["client"], st["webhook"]
    before = len(call(client, "GET", "/webhooks", status=(200,)).json())
    reasons = {}
    for url, why in (("http://169.254.169.254/latest/meta-data", "cloud metadata"),
                     ("http://[fd00:ec2::254]/latest/meta-data", "IPv6 cloud metadata"),
                     ("http://0.0.0.0:9/", "unspecified address")):
        reasons[url] = expect_refused(client, "POST", "/webhooks",
                                      {"url": url, "events": ["release.created"]}, why)
    expect_refused(client, "PATCH", f"/webhooks/{w['id']}",
                   {"url": "http://169.254.169.254/latest/meta-data"}, "cloud metadata, PATCH")
    after = call(client, "GET", "/webhooks", status=(200,)).json()
    expect(len(after) == before, f"refused webhooks were created: {before} before, {len(after)} after")
    expect(call(client, "GET", f"/webhooks/{w['id']}", status=(200,)).json()["url"] == st["recv"].url,
           "a refused PATCH changed the url")

    # A server without RELMAN_EGRESS_ALLOW refuses loopback and private addresses.
    strict = start_server(st["binary"], harness.SqliteBackend(), "webhooks-strict", egress=False)
    st["closing"].append(strict)
    try:
        policy = [ln for ln in server_logs(strict).splitlines() if "egress policy" in ln]
        expect(not policy or "public" in policy[0],
               f"the server started without RELMAN_EGRESS_ALLOW logs {harness.excerpt(policy[0])}")
        sc = strict.client()
        reasons["loopback"] = expect_refused(
            sc, "POST", "/webhooks", {"url": st["recv"].url, "events": ["release.created"]},
            "loopback without RELMAN_EGRESS_ALLOW")
        expect_refused(sc, "POST", "/webhooks",
                       {"url": "http://10.1.2.3:8080/hook", "events": ["release.created"]},
                       "private without RELMAN_EGRESS_ALLOW")
        listed = call(sc, "GET", "/webhooks", status=(200,)).json()
        expect(listed == [], f"the strict server lists webhooks: {listed}")
    finally:
        strict.stop()
        st["logs"]["webhooks-strict"] = server_logs(strict)
    print("    reasons: " + "; ".join(f"{k}: {v!r}" for k, v in reasons.items()))


# -- kill -9 -------------------------------------------------------------------------------


def kill9(st: dict, backend) -> str:
    """Writers create releases while a slow receiver takes deliveries; kill -9; restart; every
    acknowledged create must reach the receiver as release.created."""
    recv = Receiver(delay=SLOW, label=f"kill9-{backend.name}")
    st["receivers"].append(recv)
    server = start_server(st["binary"], backend, f"webhooks-kill9-{backend.name}")
    with st["lock"]:
        st["closing"].append(server)
    try:
        c = server.client()
        call(c, "POST", "/components", {"name": "kc", "imageRepository": "kill/kc"})
        call(c, "POST", "/version-maps", {"componentId": "kc", "tag": "v1.0.0",
                                          "digest": "sha256:" + hashlib.sha256(b"kc").hexdigest()})
        w = register(c, recv.url, ["release.created"], description="e2e: kill -9")
        recv.secret = w["secret"]
        st["secrets"].append(w["secret"])

        acked: dict[str, str] = {}  # release id -> name
        lock = threading.Lock()
        stop = threading.Event()
        answers: dict[int, int] = {}

        def writer(t: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                name = f"kw{t}-{n}"
                r = c.call("POST", "/releases", {"name": name, "components": [{"componentId": "kc"}]})
                with lock:
                    answers[r.status] = answers.get(r.status, 0) + 1
                if r.status == 0:
                    return
                if r.status in (200, 201):
                    with lock:
                        acked[r.json()["id"]] = name
                time.sleep(KILL_PACE)

        threads = [threading.Thread(target=writer, args=(t,), daemon=True)
                   for t in range(KILL_WRITERS)]
        for th in threads:
            th.start()
        load = random.uniform(*KILL_LOAD)
        time.sleep(load)
        # Kill while the receiver holds requests whose answers cannot have reached the server:
        # deliveries claimed and sent, but not recorded. They must be sent again.
        held = set(wait_for(lambda: recv.holding(0.08), 3, 0.005) or [])
        pid = server.proc.pid
        server.kill9()
        killed_at = time.time()
        in_flight = len(held)
        seen_before = len(recv.snapshot())
        stop.set()
        for th in threads:
            th.join(30)
        expect(not any(th.is_alive() for th in threads), "writers still running 30s after the kill")
        with lock:
            acked_now = dict(acked)
        expect(acked_now, f"no create was acknowledged before the kill (answers {answers})")
        server.start()
        restart = time.monotonic()
        restarted_at = time.time()

        def missing() -> set:
            got = {release_id(s) for s in recv.snapshot()
                   if s.type == "release.created" and s.verified}
            return set(acked_now) - got

        def not_resent() -> set:
            again = {s.webhook_id for s in recv.snapshot() if s.at > restarted_at}
            return held - again

        wait_for(lambda: not missing() and not not_resent(), KILL_DELIVERY_TIMEOUT, 0.25)
        took = time.monotonic() - restart
        lost = missing()
        unsent = not_resent()
        seen = recv.snapshot()
        per_release: dict[str, list] = {}
        for s in seen:
            if s.type == "release.created" and isinstance(s.data, dict):
                per_release.setdefault(release_id(s), []).append(s)
        unverified = [s for s in seen if not s.verified]
        ids_per_release = {rid: {s.webhook_id for s in ss} for rid, ss in per_release.items()}
        unstable = {rid: ids for rid, ids in ids_per_release.items() if len(ids) != 1}
        dupes = sum(len(ss) - 1 for ss in per_release.values())
        resent = sum(1 for ss in per_release.values()
                     if any(s.at < killed_at for s in ss) and any(s.at > killed_at for s in ss))
        unacked = len(set(per_release) - set(acked_now))
        line = (f"{backend.name}: kill -9 pid {pid} after {load:.1f}s of load "
                f"({KILL_WRITERS} writers), {in_flight} deliveries held unanswered by the "
                f"receiver at the kill ({len(held - unsent)} sent again after the restart), "
                f"{seen_before} requests before it; acknowledged {len(acked_now)}, delivered "
                f"{len(acked_now) - len(lost)}, duplicates {dupes} (re-sent across the kill "
                f"{resent}), delivered but unacknowledged {unacked}; all in {took:.1f}s after "
                f"restart; answers {answers}")
        problems = []
        if lost:
            pending = [brief(d) for d in deliveries(c, w["id"]) if d["status"] != "succeeded"][:5]
            problems.append(f"{len(lost)} acknowledged creates never delivered within "
                            f"{KILL_DELIVERY_TIMEOUT:.0f}s, e.g. "
                            f"{[acked_now[i] for i in sorted(lost)[:5]]}; not succeeded: {pending}")
        if unsent:
            problems.append(f"{len(unsent)} of the {len(held)} deliveries in flight at the kill "
                            f"(sent, never answered) were not sent again within "
                            f"{KILL_DELIVERY_TIMEOUT:.0f}s of the restart: webhook-ids "
                            f"{sorted(unsent)[:5]}")
        if unverified:
            problems.append(f"{len(unverified)} requests failed verification: "
                            f"{unverified[0].error}")
        if unstable:
            rid, ids = next(iter(unstable.items()))
            problems.append(f"{len(unstable)} releases arrived under more than one webhook-id, "
                            f"e.g. {rid}: {sorted(ids)}")
        if problems:
            errs = server.error_lines()
            raise Failed(line + "\n" + "\n".join(problems)
                         + ("\nserver errors: " + "; ".join(errs) if errs else ""))
        if in_flight == 0:
            line += " (note: no request was held at the kill: the lease path went untested)"
        return line
    finally:
        with st["lock"]:
            st["logs"][server.label] = server_logs(server)
        server.close()
        recv.close()


def check_kill9(st: dict) -> list[tuple[str, str, BaseException | None]]:
    """Both backends at once (each its own server, database and receiver); one result each."""
    jobs = [("sqlite", harness.SqliteBackend())]
    pg_url = os.environ.get("RELMAN_TEST_POSTGRES_URL")
    results = []
    if pg_url:
        pg = harness.PostgresBackend(pg_url)
        try:
            pg.check()
            jobs.append(("postgres", pg))
        except harness.TestFailure as e:
            results.append(("postgres", "", Failed(f"PostgreSQL at {pg_url} does not answer: {e}")))
    else:
        results.append(("postgres", "", Skipped("RELMAN_TEST_POSTGRES_URL is not set")))
    # Daemon threads, so that an interrupt (the time guard) is not held up by them; their
    # servers are also in st["closing"], which the main thread closes on its way out.
    outcome: dict[str, tuple[str, BaseException | None]] = {}

    def run(name, backend):
        try:
            outcome[name] = (kill9(st, backend), None)
        except BaseException as e:  # noqa: BLE001 reported as the check's failure
            outcome[name] = ("", e)

    threads = [threading.Thread(target=run, args=job, daemon=True) for job in jobs]
    for th in threads:
        th.start()
    for th in threads:
        while th.is_alive():
            th.join(0.5)
    for name, _ in jobs:
        line, err = outcome.get(name, ("", Failed("the run ended without a result")))
        results.append((name, line, err))
    order = {"sqlite": 0, "postgres": 1}
    return sorted(results, key=lambda r: order[r[0]])


def check_secrets(st: dict) -> None:
    client = st["client"]
    expect(st["secrets"], "no secret was created earlier: nothing to look for")
    leaks = []
    for label, text in [("webhooks-main", server_logs(st["server"]))] + sorted(st["logs"].items()):
        for secret in st["secrets"]:
            for form in secret_forms(secret):
                if form in text:
                    leaks.append(f"{label} log contains {'the secret' if form == secret else 'its key'} "
                                 f"{form[:10]}…")
    expect(not leaks, "; ".join(leaks))
    for path in ("/webhooks", f"/webhooks/{st['webhook']['id']}",
                 f"/webhooks/{st['webhook']['id']}/deliveries?limit=100",
                 "/audit-events?pageSize=100"):
        r = call(client, "GET", path, status=(200,))
        for secret in st["secrets"]:
            for form in secret_forms(secret):
                expect(form.encode() not in r.body, f"GET {path} contains a secret ({form[:10]}…)")
    logs = server_logs(st["server"])
    lines = len(logs.splitlines())
    expect(lines > 20, f"the main server's log has {lines} lines: too few to mean anything")
    print(f"    {len(st['secrets'])} secrets, {lines} log lines of the main server (RUST_LOG=debug)"
          f" and {len(st['logs'])} other servers' logs, the webhook, delivery and audit listings: "
          f"no secret")


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    began = time.monotonic()
    binary = os.path.abspath(args.binary)
    tmp = tempfile.mkdtemp(prefix="relman-webhooks-")
    st = {"binary": binary, "secrets": [], "receivers": [], "closing": [], "logs": {},
          "lock": threading.Lock()}
    passed = failed = skipped = 0

    def report(title, fn):
        nonlocal passed, failed, skipped
        t0 = time.monotonic()
        try:
            fn(st)
            passed += 1
            print(f"PASS {title} ({time.monotonic() - t0:.1f}s)", flush=True)
        except Skipped as e:
            skipped += 1
            print(f"SKIP {title}: {e}", flush=True)
        except KeyError as e:
            failed += 1
            print(f"FAIL {title}: needs {e} from an earlier step that failed", flush=True)
        except Exception as e:
            failed += 1
            detail = str(e) if isinstance(e, (Failed, harness.TestFailure)) else \
                traceback.format_exc(limit=4)
            print(f"FAIL {title} ({time.monotonic() - t0:.1f}s): "
                  + detail.replace("\n", "\n    "), flush=True)

    registry = server = None
    try:
        report("1. receiver: standardwebhooks verifies a signed request, refuses a tampered one; "
               "503, stop and restart on the same port", check_receiver)
        try:
            registry = oci.Registry(tmp, harness.free_port())
            st["registry"] = registry
            server = start_server(binary, harness.SqliteBackend(), "webhooks-main", log="debug")
            st["server"] = server
            st["client"] = server.client()
            note = settings_note(server)
            if note:
                print(f"FAIL setup: {note}")
                failed += 1
            started = [ln for ln in server_logs(server).splitlines()
                       if "delivery worker started" in ln]
            print("    server: " + (harness.excerpt(started[0], 300) if started else
                                    "no 'delivery worker started' line in its log"))
            recv = Receiver(label="main")
            st["recv"] = recv
            st["receivers"].append(recv)
        except Exception as e:
            print(f"FAIL setup (docker-registry, SQLite server with RELMAN_EGRESS_ALLOW=loopback, "
                  f"receiver): {e}")
            failed += 1
        report("2. new-user flow: webhook for every event (generated secret, never shown again), "
               "sync, release, ready, environment, promote, succeeded: each delivered, verified, "
               "payload = API; deliveries succeeded/200, newest first, paged", check_new_user_flow)
        report("3. redeliver: 202 pending, sent again with the same webhook-id, succeeded",
               check_redeliver)
        report("4. receiver answers 503: retried (attempts >= 2, pending, nextAttemptAt), "
               "delivered under the same webhook-id once it answers 200", check_receiver_503)
        report("5. receiver down (socket closed): retried with a transport error, delivered once "
               "it listens again", check_receiver_down)
        report("6. 410 Gone: delivery failed, webhook inactive with disabledReason, no further "
               "deliveries; PATCH active=true restores it", check_gone)
        report("7. wrong secret: a receiver with another secret fails verification; the given "
               "secret verifies; DELETE", check_wrong_secret)
        report("8. egress: metadata, unspecified addresses refused (POST and PATCH, 400 "
               "problem+json); loopback and private refused without RELMAN_EGRESS_ALLOW",
               check_egress)
        t0 = time.monotonic()
        for name, line, err in check_kill9(st):
            title = (f"9. kill -9 [{name}]: every acknowledged release create delivered as "
                     f"release.created after restart, deliveries cut by the kill sent again "
                     f"(at-least-once, one webhook-id each)")
            if err is None:
                passed += 1
                print(f"PASS {title} ({time.monotonic() - t0:.1f}s)\n    {line}", flush=True)
            elif isinstance(err, Skipped):
                skipped += 1
                print(f"SKIP {title}: {err}", flush=True)
            else:
                failed += 1
                detail = str(err) if isinstance(err, (Failed, harness.TestFailure)) else \
                    "".join(traceback.format_exception(err, limit=4))
                print(f"FAIL {title}: " + detail.replace("\n", "\n    "), flush=True)
        report("10. secrets: neither a generated nor a given secret in any server log (debug) or "
               "listing", check_secrets)
    except KeyboardInterrupt:
        print("FAIL interrupted (timeout?)", flush=True)
        failed += 1
    finally:
        for r in st["receivers"]:
            r.close()
        for s in st["closing"]:
            s.close()
        if server:
            server.close()
        if registry:
            registry.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed, {skipped} skipped in {time.monotonic() - began:.0f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
