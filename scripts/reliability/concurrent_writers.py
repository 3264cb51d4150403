"""Test 1 — concurrent writers: 8 threads call every write endpoint of the API at random for a
bounded time, on overlapping names so that they collide. Every answer must be a 2xx or a clean
4xx (404 gone, 409 conflict, 422 unresolvable); a 5xx or a dropped connection is a failure, and so
is an endpoint that never once succeeded (the test would not have exercised it)."""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time

from harness import Server, TestFailure, Tally, excerpt

THREADS = int(os.environ.get("RELIABILITY_WRITERS", "8"))
SECONDS = float(os.environ.get("RELIABILITY_WRITE_SECONDS", "9"))

ALLOWED_4XX = {404, 409, 422}

STABLE_COMPONENTS = ["s-0", "s-1", "s-2"]          # never deleted; v1.0.0 stable never re-mapped
POOL_COMPONENTS = [f"wc-{i}" for i in range(8)]      # created, changed and deleted by the writers
STABLE_ENVS = [f"e-{i}" for i in range(4)]           # promotion targets, never deleted
POOL_ENVS = [f"we-{i}" for i in range(5)]            # created, changed and deleted by the writers
# Never promoted to, so that a delete can succeed however soon the pool fills with deployments.
SPARE_ENVS = [f"se-{i}" for i in range(3)]
POOL_INTEGRATIONS = [f"ri-{i}" for i in range(5)]   # created, changed and deleted by the writers
STABLE_INTEGRATION = "ri-stable"                     # never deleted; components may point at it
UPSERT_TAGS = [f"v9.0.{i}" for i in range(6)]        # re-posted with changing semver and channel

ENDPOINTS = [
    "POST /components",
    "PUT /components/{id}",
    "DELETE /components/{id}",
    "POST /version-maps (new tag)",
    "POST /version-maps (re-post tag)",
    "POST /registry-integrations",
    "PUT /registry-integrations/{id}",
    "DELETE /registry-integrations/{id}",
    "POST /releases",
    "POST /releases/from-latest",
    "PUT /releases/{id} (notes)",
    "PUT /releases/{id} (status ready)",
    "POST /releases/{id}/deprecate",
    "DELETE /releases/{id}",
    "POST /environments",
    "PUT /environments/{id}",
    "DELETE /environments/{id}",
    "POST /releases/{id}/promote",
    "POST /deployments/{id}/complete",
]


def digest(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


class Shared:
    """What the writers created, so that others can change, promote or delete it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.releases: list[str] = []
        self.ready: list[str] = []
        self.deployments: list[str] = []

    def push(self, lst: list, item) -> None:
        with self.lock:
            lst.append(item)
            if len(lst) > 400:
                del lst[:100]

    def pick(self, lst: list):
        with self.lock:
            if not lst:
                return None
            return lst[-random.randint(1, min(len(lst), 40))]

    def pop(self, lst: list):
        with self.lock:
            return lst.pop(random.randrange(len(lst))) if lst else None

    def drop(self, lst: list, item) -> None:
        with self.lock:
            try:
                lst.remove(item)
            except ValueError:
                pass


def seed(c) -> None:
    c.must("POST", "/registry-integrations", {"name": STABLE_INTEGRATION,
                                               "url": "https://stable.registry.invalid"})
    for name in STABLE_COMPONENTS:
        c.must("POST", "/components", {"name": name, "imageRepository": f"rel/{name}"})
        c.must("POST", "/version-maps", {"componentId": name, "tag": "v1.0.0",
                                         "digest": digest(name + "v1.0.0")})
    for i, name in enumerate(STABLE_ENVS):
        c.must("POST", "/environments", {"name": name, "order": 10 * (i + 1)})


def writer(c, tally: Tally, shared: Shared, t: int, deadline: float) -> None:
    rnd = random.Random(t * 7919 + int(time.time()))
    n = 0

    def call(label, method, path, body=None):
        r = c.call(method, path, body)
        tally.add(label, r)
        return r

    def any_component():
        return rnd.choice(STABLE_COMPONENTS + POOL_COMPONENTS)

    def op_component_create():
        name = rnd.choice(POOL_COMPONENTS)
        body = {"name": name, "imageRepository": f"rel/{name}", "displayName": f"W {name}"}
        if rnd.random() < 0.3:
            body["registryIntegrationId"] = STABLE_INTEGRATION
        call("POST /components", "POST", "/components", body)

    def op_component_update():
        name = rnd.choice(POOL_COMPONENTS + STABLE_COMPONENTS)
        body = {"displayName": f"{name} by {t}/{n}"}
        if rnd.random() < 0.3:
            body["tagPattern"] = rnd.choice(["^v", None])
        call("PUT /components/{id}", "PUT", f"/components/{name}", body)

    def op_component_delete():
        name = rnd.choice(POOL_COMPONENTS)
        call("DELETE /components/{id}", "DELETE", f"/components/{name}")

    def op_version_new():
        comp = any_component()
        tag = f"v2.{t}.{n}"
        call("POST /version-maps (new tag)", "POST", "/version-maps",
             {"componentId": comp, "tag": tag, "digest": digest(f"{comp}{tag}{t}{n}")})

    def op_version_repost():
        comp = any_component()
        tag = rnd.choice(UPSERT_TAGS)
        patch = tag[len("v"):]
        semver, channel = rnd.choice([
            (patch, "stable"), (patch + "-rc.1", "rc"), (patch + "-beta.2", "beta"),
            (patch, "hotfix"), (patch + "-rc.2", "stable"),
        ])
        call("POST /version-maps (re-post tag)", "POST", "/version-maps",
             {"componentId": comp, "tag": tag, "semver": semver, "channel": channel,
              "digest": digest(comp + tag + rnd.choice("ab"))})

    def op_integration_create():
        name = rnd.choice(POOL_INTEGRATIONS)
        call("POST /registry-integrations", "POST", "/registry-integrations",
             {"name": name, "url": f"https://{name}.registry.invalid",
              "auth": {"type": "basic", "username": "bot", "password": f"secret-{t}-{n}"},
              "maxConcurrency": rnd.randint(1, 16)})

    def op_integration_update():
        name = rnd.choice(POOL_INTEGRATIONS)
        body = rnd.choice([
            {"maxConcurrency": rnd.randint(1, 32)},
            {"auth": {"type": "bearer", "token": f"tok-{t}-{n}"}},
            {"requestsPerSecond": rnd.choice([5.0, 50.0, None])},
        ])
        call("PUT /registry-integrations/{id}", "PUT", f"/registry-integrations/{name}", body)

    def op_integration_delete():
        name = rnd.choice(POOL_INTEGRATIONS)
        call("DELETE /registry-integrations/{id}", "DELETE", f"/registry-integrations/{name}")

    def op_release_create():
        comps = rnd.sample(STABLE_COMPONENTS, rnd.randint(1, len(STABLE_COMPONENTS)))
        members = [rnd.choice([{"componentId": x}, {"componentId": x, "channel": "stable"},
                               {"componentId": x, "version": "1.0.0"}]) for x in comps]
        if rnd.random() < 0.05:  # pins a pool component, so deleting it meets 409 in_use
            members.append({"componentId": rnd.choice(POOL_COMPONENTS)})
        name = f"r-{t}-{n}"
        r = call("POST /releases", "POST", "/releases",
                 {"name": name, "components": members, "notes": f"written by {t}"})
        if r.ok:
            shared.push(shared.releases, name)
            if rnd.random() < 0.3:  # the idempotent path: same name, same content
                call("POST /releases", "POST", "/releases",
                     {"name": name, "components": members, "notes": f"written by {t}"})

    def op_release_from_latest():
        name = f"fl-{t}-{n}"
        body = {"name": name, "channel": "stable",
                "componentIds": rnd.sample(STABLE_COMPONENTS, rnd.randint(1, 3))}
        r = call("POST /releases/from-latest", "POST", "/releases/from-latest", body)
        if r.ok:
            shared.push(shared.releases, name)

    def op_release_notes():
        name = shared.pick(shared.releases)
        if name:
            call("PUT /releases/{id} (notes)", "PUT", f"/releases/{name}",
                 {"notes": f"notes {t}/{n}", "displayName": f"Release {name} ({n})",
                  "metadata": {"writer": str(t)}})

    def op_release_ready():
        name = shared.pick(shared.releases)
        if name:
            r = call("PUT /releases/{id} (status ready)", "PUT", f"/releases/{name}",
                     {"status": "ready"})
            if r.ok:
                shared.push(shared.ready, name)

    def op_release_deprecate():
        name = shared.pick(shared.releases)
        if name:
            call("POST /releases/{id}/deprecate", "POST", f"/releases/{name}/deprecate",
                 {"reason": f"deprecated by {t}"})

    def op_release_delete():
        name = shared.pick(shared.releases)
        if name:
            r = call("DELETE /releases/{id}", "DELETE", f"/releases/{name}")
            if r.status in (204, 404):
                shared.drop(shared.releases, name)
                shared.drop(shared.ready, name)

    def op_env_create():
        name = rnd.choice(POOL_ENVS + SPARE_ENVS)
        call("POST /environments", "POST", "/environments",
             {"name": name, "order": rnd.randint(100, 112), "displayName": name.upper()})

    def op_env_update():
        name = rnd.choice(POOL_ENVS + STABLE_ENVS)
        body = {"displayName": f"{name} {n}"}
        if name in POOL_ENVS and rnd.random() < 0.5:
            body["order"] = rnd.randint(100, 112)
        call("PUT /environments/{id}", "PUT", f"/environments/{name}", body)

    def op_env_delete():
        name = rnd.choice(POOL_ENVS + SPARE_ENVS)
        call("DELETE /environments/{id}", "DELETE", f"/environments/{name}")

    def op_promote():
        name = shared.pick(shared.ready)
        if name:
            env = rnd.choice(STABLE_ENVS + STABLE_ENVS + POOL_ENVS)
            r = call("POST /releases/{id}/promote", "POST", f"/releases/{name}/promote",
                     {"environmentId": env})
            if r.status == 201:
                shared.push(shared.deployments, r.json()["id"])

    def op_complete():
        dep = shared.pop(shared.deployments)
        if dep:
            call("POST /deployments/{id}/complete", "POST", f"/deployments/{dep}/complete",
                 {"outcome": rnd.choice(["succeeded", "succeeded", "failed"]),
                  "message": f"by writer {t}"})

    ops = [
        (op_component_create, 4), (op_component_update, 4), (op_component_delete, 2),
        (op_version_new, 10), (op_version_repost, 10),
        (op_integration_create, 2), (op_integration_update, 2), (op_integration_delete, 2),
        (op_release_create, 6), (op_release_from_latest, 3), (op_release_notes, 4),
        (op_release_ready, 4), (op_release_deprecate, 2), (op_release_delete, 2),
        (op_env_create, 2), (op_env_update, 2), (op_env_delete, 2),
        (op_promote, 5), (op_complete, 5),
    ]
    funcs = [f for f, _ in ops]
    weights = [w for _, w in ops]
    while time.monotonic() < deadline:
        n += 1
        rnd.choices(funcs, weights)[0]()


def run(binary: str, backend) -> list[str]:
    with Server(binary, backend, f"writers-{backend.name}") as server:
        c = server.client()
        seed(c)
        tally = Tally()
        shared = Shared()
        deadline = time.monotonic() + SECONDS
        started = time.monotonic()
        threads = [threading.Thread(target=writer, args=(c, tally, shared, t, deadline), daemon=True)
                   for t in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(SECONDS + 60)
        elapsed = time.monotonic() - started
        if any(th.is_alive() for th in threads):
            raise TestFailure("writer threads still running 60 s after the deadline")
        figures = [f"{THREADS} writers for {elapsed:.1f}s: {tally.total()} requests "
                   f"({tally.total() / elapsed:.0f}/s)", tally.table(ENDPOINTS)]
        problems = tally.bad(lambda e, s: 200 <= s < 300 or s in ALLOWED_4XX)
        never = [e for e in ENDPOINTS
                 if not any(200 <= s < 300 for s in tally.counts.get(e, {}))]
        problems += [f"{e} never answered 2xx: the test did not exercise it" for e in never]
        alive = server.alive()
        if not alive:
            problems.append("the server process died during the run")
        else:
            r = c.call("GET", "/readyz")
            if r.status != 200:
                problems.append(f"GET /readyz answered {r.status} after the run: {excerpt(r.body)}")
        if problems:
            fives = sum(n for cnt in tally.counts.values() for s, n in cnt.items() if s >= 500)
            lines = [f"{fives} 5xx of {tally.total()} requests" if fives else "no 5xx"] + problems
            errs = server.error_lines()
            if errs:
                lines.append("server log ERROR lines:")
                lines += ["  " + e for e in errs]
            raise TestFailure("\n".join(lines), figures)
        return figures
