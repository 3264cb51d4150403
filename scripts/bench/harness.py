"""relman against its floors, interleaved, in one run (driven by scripts/bench/run).

Each row of the table is measured in ROUNDS rounds; in every round the floor and relman run back
to back, so both see the same machine. Ratios are relman/floor (throughput) or floor/relman
(latency) per round, reported as min / median. Nothing here asserts: it prints figures.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import (  # noqa: E402
    Api,
    Nginx,
    Registry,
    RssSampler,
    Server,
    parallel,
    wrk,
)

COMPONENTS = 20


def seed_components(api, versions_each):
    for c in range(COMPONENTS):
        api.ok("POST", "/components", {"name": f"svc-{c}", "imageRepository": f"bench/svc-{c}"})
    jobs = [
        (c, v) for c in range(COMPONENTS) for v in range(versions_each)
    ]
    parallel(api, jobs, lambda a, j: a.ok("POST", "/version-maps", {
        "componentId": f"svc-{j[0]}", "tag": f"v1.{j[1] // 10}.{j[1] % 10}",
        "digest": "sha256:" + f"{j[0]:032x}{j[1]:032x}"}))


def seed_releases(api, count):
    """`count` releases of two members each, so each component is in a tenth of them."""
    parallel(api, range(count), lambda a, n: a.ok("POST", "/releases", {
        "name": f"b-{n}",
        "components": [{"componentId": f"svc-{n % COMPONENTS}"},
                       {"componentId": f"svc-{(n + 7) % COMPONENTS}"}]}))


def seed_big_component(api, count):
    api.ok("POST", "/components", {"name": "big", "imageRepository": "bench/big"})
    parallel(api, range(count), lambda a, n: a.ok("POST", "/version-maps", {
        "componentId": "big", "tag": f"v{n // 10000}.{(n // 100) % 100}.{n % 100}",
        "digest": "sha256:" + f"{n:064x}"}))


def ratio_summary(values):
    return min(values), statistics.median(values)


class Table:
    def __init__(self):
        self.rows = []

    def add(self, what, floor, relman, ratios, note=""):
        lo, med = ratio_summary(ratios)
        self.rows.append((what, floor, relman, f"{lo:.2f} / {med:.2f}", note))
        print(f"  -> {what}: floor {floor}, relman {relman}, ratio {lo:.2f} / {med:.2f} {note}",
              flush=True)

    def markdown(self):
        out = ["| what | floor | relman | ratio (min / median) | note |",
               "| --- | --- | --- | --- | --- |"]
        out += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in self.rows]
        return "\n".join(out)


def fmt_rps(values):
    return f"{statistics.median(values):,.0f} req/s"


def fmt_ms(values):
    return f"{statistics.median(values):.2f} ms p50"


def bench_reads(args, table, server, api, nginx, rss):
    """Release GET, lists and version lists against nginx serving the same bytes."""
    release = api.ok("POST", "/releases", {
        "name": "bench-20", "components": [{"componentId": f"svc-{c}"} for c in range(COMPONENTS)]})
    api.ok("PUT", f"/releases/{release['id']}", {"status": "ready"})
    status, headers, body = api.raw("GET", "/releases/bench-20")
    etag = headers.get("etag")
    nginx.put("release.json", body)
    release_url = f"{server.base}/releases/bench-20"
    auth = [f"Authorization: Bearer {server.token}"]

    n_rps, r_rps, r304_rps, ratios, ratios304 = [], [], [], [], []
    for _ in range(args.rounds):
        n = wrk(nginx.url("release.json"), args.seconds, 16)
        with rss.window():
            r = wrk(release_url, args.seconds, 16, auth)
        n_rps.append(n["rps"])
        r_rps.append(r["rps"])
        ratios.append(r["rps"] / n["rps"])
        if etag:
            with rss.window():
                r304 = wrk(release_url, args.seconds, 16, auth + [f"If-None-Match: {etag}"])
            r304_rps.append(r304["rps"])
            ratios304.append(r304["rps"] / n["rps"])
    table.add(f"GET /releases/{{name}} (20 members, {len(body)} B), wrk -c16",
              f"nginx {fmt_rps(n_rps)}", fmt_rps(r_rps), ratios)
    if r304_rps:
        table.add("same, If-None-Match → 304", f"nginx 200 {fmt_rps(n_rps)}",
                  fmt_rps(r304_rps), ratios304)
    else:
        print("  (no ETag on the release: 304 row skipped)")

    meta = api.ok("GET", "/releases?pageSize=20")["meta"]
    last = max(meta["totalPages"], 1)
    comp = api.ok("GET", "/releases?componentId=svc-3&pageSize=20")["meta"]
    comp_last = max(comp["totalPages"], 1)
    lists = {
        "page 1": "/releases?pageSize=20",
        "componentId page 1": "/releases?componentId=svc-3&pageSize=20",
        "componentId last page": f"/releases?componentId=svc-3&pageSize=20&page={comp_last}",
        "last page": f"/releases?pageSize=20&page={last}",
        "middle page": f"/releases?pageSize=20&page={max(last // 2, 1)}",
    }
    latency = {k: [] for k in lists}
    for _ in range(args.rounds):
        for k, path in lists.items():
            with rss.window():
                latency[k].append(wrk(server.base + path, args.seconds, 1, auth)["p50_ms"])
    base = latency["page 1"]
    for k in lists:
        if k == "page 1":
            continue
        table.add(f"GET /releases {k}, {meta['totalCount']:,} releases",
                  f"page 1 unfiltered {fmt_ms(base)}", fmt_ms(latency[k]),
                  [b / x if x else 0 for b, x in zip(base, latency[k])],
                  "floor/relman: 0.5 = 2× slower")

    versions_path = "/components/big/versions?limit=10"
    status, _, vbody = api.raw("GET", versions_path)
    nginx.put("versions.json", vbody)
    n_rps, r_rps, r_p50 = [], [], []
    for _ in range(args.rounds):
        n_rps.append(wrk(nginx.url("versions.json"), args.seconds, 16)["rps"])
        with rss.window():
            r = wrk(server.base + versions_path, args.seconds, 16, auth)
        r_rps.append(r["rps"])
        r_p50.append(r["p50_ms"])
    table.add(f"GET /components/{{id}}/versions?limit=10, {args.versions:,} versions, wrk -c16",
              f"nginx {fmt_rps(n_rps)}", f"{fmt_rps(r_rps)} ({fmt_ms(r_p50)})",
              [r / n for r, n in zip(r_rps, n_rps)], "relman/nginx")
    # The update feed of the big component (every version stable), no token, as CLIs read it.
    feed_url = f"{server.root}/updates/v1/latest/big.json"
    with urllib.request.urlopen(feed_url) as r:
        fbody, fetag = r.read(), r.headers.get("ETag")
    nginx.put("feed.json", fbody)
    n_rps, r_rps, r304_rps = [], [], []
    for _ in range(args.rounds):
        n_rps.append(wrk(nginx.url("feed.json"), args.seconds, 16)["rps"])
        with rss.window():
            r_rps.append(wrk(feed_url, args.seconds, 16)["rps"])
            r304_rps.append(wrk(feed_url, args.seconds, 16, [f"If-None-Match: {fetag}"])["rps"])
    table.add(f"GET /updates/v1/latest/{{name}}.json, {args.versions:,} versions, wrk -c16",
              f"nginx {fmt_rps(n_rps)}", fmt_rps(r_rps),
              [r / n for r, n in zip(r_rps, n_rps)], "relman/nginx")
    table.add("same, If-None-Match → 304", f"nginx 200 {fmt_rps(n_rps)}", fmt_rps(r304_rps),
              [r / n for r, n in zip(r304_rps, n_rps)], "relman/nginx")
    status, headers, full = api.raw("GET", "/components/big/versions")
    table.add("same, no limit", "—", f"{len(full):,} B body, Link next: {'link' in headers}",
              [1.0], "bounded page")


def bench_sync(args, table, server, api, registry, floor_bin):
    """First sync with and without pushedAt, and an unchanged re-sync, against the raw floor."""
    repo = "bench/sync"
    print(f"pushing {args.tags} tags to {registry.url} ...", flush=True)
    registry.push_tags(repo, args.tags)
    integration = api.ok("POST", "/registry-integrations", {
        "name": "bench-registry", "url": registry.url, "insecure": True})

    def floor(mode):
        out = subprocess.run([floor_bin, registry.url, repo, mode, "8"], check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out)

    def relman_first_sync(n, pushed_at):
        name = f"sync-{'p' if pushed_at else 'n'}-{n}"
        body = {"name": name, "imageRepository": repo, "registryIntegrationId": integration["id"]}
        if not pushed_at:
            body[args.pushed_at_field] = False
        api.ok("POST", "/components", body)
        started = time.perf_counter()
        report = api.ok("POST", f"/components/{name}/sync-versions?verbose=false", {})
        ms = (time.perf_counter() - started) * 1000
        return name, ms, report

    rows = {"full": ([], [], []), "head": ([], [], [])}
    resync, list_floor, resync_bytes = [], [], []
    kept = None
    for n in range(args.rounds):
        for mode, pushed_at in (("full", True), ("head", False)):
            f = floor(mode)
            name, ms, report = relman_first_sync(n, pushed_at)
            floors, mine, ratios = rows[mode]
            floors.append(f["ms"])
            mine.append(ms)
            ratios.append(ms / f["ms"])
            print(f"    {mode}: floor {f['requests']} requests {f['ms']:.0f} ms; relman "
                  f"{report.get('registryRequests', '?')} requests {ms:.0f} ms", flush=True)
            if kept is None:
                kept = name
            else:
                api.raw("DELETE", f"/components/{name}")
        for _ in range(5):
            list_floor.append(floor("list")["ms"])
            started = time.perf_counter()
            status, _, body = api.raw("POST", f"/components/{kept}/sync-versions?verbose=false", {})
            resync.append((time.perf_counter() - started) * 1000)
            resync_bytes.append(len(body))
    full_f, full_r, full_x = rows["full"]
    head_f, head_r, head_x = rows["head"]
    table.add(f"first sync, {args.tags:,} tags, with pushedAt",
              f"list + GET manifest + GET config: {statistics.median(full_f):.0f} ms",
              f"{statistics.median(full_r):.0f} ms", full_x, "relman/floor")
    table.add(f"first sync, {args.tags:,} tags, without pushedAt",
              f"list + HEAD: {statistics.median(head_f):.0f} ms",
              f"{statistics.median(head_r):.0f} ms", head_x, "relman/floor")
    table.add(f"unchanged re-sync, {args.tags:,} tags",
              f"tag list: {statistics.median(list_floor):.1f} ms p50",
              f"{statistics.median(resync):.1f} ms p50, {statistics.median(resync_bytes):,.0f} B",
              [r / f for r, f in zip(resync, list_floor)], "relman/floor")


POST_LUA = """
local n = 0
local headers = {}
for k, v in pairs(wrk.headers) do headers[k] = v end
headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local body = string.format('{"name":"w-%d-%d","components":[{"componentId":"svc-1"},{"componentId":"svc-2"}]}', math.random(1, 1e9), n)
  return wrk.format("POST", "/api/v1/releases", headers, body)
end
"""


def bench_writes(args, table, tmp, pg_url):
    """Release creates at 8 concurrent writers: PostgreSQL against SQLite, fresh databases.

    With --writes-baseline BINARY, that build's SQLite and PostgreSQL servers run in the same
    rounds too (four wrk runs per round, each build on its own fresh databases), so a change is
    measured against the build before it under the same load."""
    script = os.path.join(tmp, "post.lua")
    with open(script, "w") as f:
        f.write(POST_LUA)
    builds = [("", args.server)]
    if args.writes_baseline:
        builds.insert(0, ("baseline ", args.writes_baseline))
    # The server connects to the fresh database with the same options (`?sslmode=…`, say).
    parts = urllib.parse.urlsplit(pg_url)
    dbs = [f"relman_bench_{os.getpid()}_{i}" for i in range(len(builds))]
    servers = []
    try:
        for (label, binary), db in zip(builds, dbs):
            subprocess.run(["psql", pg_url, "-qc", f"CREATE DATABASE {db}"], check=True)
            name = label.strip() or "new"
            sqlite = Server(binary, os.path.join(tmp, f"w-sqlite-{name}"))
            servers.append(sqlite)
            pg_db = urllib.parse.urlunsplit(parts._replace(path=f"/{db}"))
            pg = Server(binary, os.path.join(tmp, f"w-pg-{name}"), database_url=pg_db)
            servers.append(pg)
            for s in (sqlite, pg):
                seed_components(Api(s.base, s.token), 10)
                # Unmeasured: on a fresh database SQLite's first 10-15 s of creates run at a third
                # to a half of its steady rate (p99 about 0.5 s, falling to 10-50 ms); the rounds
                # measure both backends' steady state.
                if args.writes_warmup:
                    wrk(s.root, args.writes_warmup, 8, [f"Authorization: Bearer {s.token}"],
                        script)
        figures = {label: ([], [], []) for label, _ in builds}
        for _ in range(args.rounds):
            for i, (label, _) in enumerate(builds):
                sqlite, pg = servers[2 * i], servers[2 * i + 1]
                lite, post, ratios = figures[label]
                a = wrk(sqlite.root, args.seconds, 8, [f"Authorization: Bearer {sqlite.token}"],
                        script)
                b = wrk(pg.root, args.seconds, 8, [f"Authorization: Bearer {pg.token}"], script)
                lite.append(a["rps"])
                post.append(b["rps"])
                ratios.append(b["rps"] / a["rps"])
                print(f"    {label}round {len(ratios)}: SQLite {a['rps']:,.0f} req/s, PostgreSQL "
                      f"{b['rps']:,.0f} req/s ({ratios[-1]:.2f}), load "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
                if a["errors"] or b["errors"]:
                    print(f"    non-2xx: sqlite {a['errors']}, postgres {b['errors']}")
        for label, _ in builds:
            lite, post, ratios = figures[label]
            table.add(f"{label}release create, 8 writers, PostgreSQL vs SQLite",
                      f"SQLite {fmt_rps(lite)} (min {min(lite):,.0f})",
                      f"PostgreSQL {fmt_rps(post)} (min {min(post):,.0f})", ratios,
                      "PostgreSQL/SQLite")
    finally:
        for s in servers:
            s.stop()
        for db in dbs:
            subprocess.run(["psql", pg_url, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"],
                           check=False)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True)
    p.add_argument("--floor", help="the request-floor program (needed for the sync rows)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--releases", type=int, default=100_000)
    p.add_argument("--versions", type=int, default=20_000)
    p.add_argument("--tags", type=int, default=2_000)
    p.add_argument("--pushed-at-field", default="recordPushedAt")
    p.add_argument("--only", default="reads,sync,writes",
                   help="comma-separated rows to run: reads, sync, writes")
    p.add_argument("--writes-warmup", type=int, default=15, metavar="S",
                   help="unmeasured seconds of creates on each write server before the rounds")
    p.add_argument("--writes-baseline", metavar="BINARY",
                   help="another relman-server build measured in the same write rounds")
    args = p.parse_args()
    only = set(args.only.split(","))
    if "sync" in only and not args.floor:
        p.error("the sync rows need --floor")
    pg_url = os.environ.get("RELMAN_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
    table = Table()
    with tempfile.TemporaryDirectory(prefix="relman-bench-") as tmp:
        rss = RssSampler(None)
        if only & {"reads", "sync"}:
            server = Server(args.server, os.path.join(tmp, "sqlite"))
            rss.pid = server.pid
            try:
                api = Api(server.base, server.token)
                if "reads" in only:
                    started = time.time()
                    seed_components(api, 10)
                    seed_releases(api, args.releases)
                    seed_big_component(api, args.versions)
                    print(f"seeded {args.releases:,} releases and {args.versions:,} versions in "
                          f"{time.time() - started:.0f} s", flush=True)
                    with Nginx(tmp) as nginx:
                        bench_reads(args, table, server, api, nginx, rss)
                if "sync" in only:
                    with Registry(tmp) as registry:
                        bench_sync(args, table, server, api, registry, args.floor)
            finally:
                server.stop()
        if "writes" in only:
            bench_writes(args, table, tmp, pg_url)
    print()
    print(table.markdown())
    if rss.windows:
        print(f"\nserver RSS during wrk runs: max {max(rss.windows) / 1024:.0f} MB over "
              f"{len(rss.windows)} runs")


if __name__ == "__main__":
    main()
