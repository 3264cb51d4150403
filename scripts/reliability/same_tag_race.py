"""Test 2 — same new tag race: 16 clients POST /version-maps for one brand-new tag of one
component at the same instant (released together by a barrier, each on an already open
connection). Afterwards exactly one version with that tag must exist, and no client may get a
5xx. Repeated over fresh tags; even rounds send identical bodies (a retried request), odd rounds
different digests (two writers disagreeing — one of them wins, whole)."""

from __future__ import annotations

import collections
import hashlib
import os
import threading
import time

from harness import Server, TestFailure, Tally, excerpt

CLIENTS = int(os.environ.get("RELIABILITY_RACE_CLIENTS", "16"))
ROUNDS = int(os.environ.get("RELIABILITY_RACE_ROUNDS", "20"))
ALLOWED = {200, 201, 409}
COMPONENT = "race"


def digest(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def versions(c) -> list[dict]:
    r = c.call("GET", f"/components/{COMPONENT}/versions?limit=1000")
    if r.status != 200:
        raise TestFailure(f"GET /components/{COMPONENT}/versions answered {r.status}: "
                          f"{excerpt(r.body)}")
    return r.json()


def run(binary: str, backend) -> list[str]:
    with Server(binary, backend, f"race-{backend.name}") as server:
        c = server.client()
        c.must("POST", "/components", {"name": COMPONENT, "imageRepository": "rel/race"})
        tally = Tally()
        start = threading.Barrier(CLIENTS + 1, timeout=60)
        done = threading.Barrier(CLIENTS + 1, timeout=60)
        bodies: list[list[dict]] = []
        stop = threading.Event()

        def client(i: int) -> None:
            c.call("GET", "/healthz")  # open this thread's keep-alive connection before the race
            while True:
                try:
                    start.wait()
                except threading.BrokenBarrierError:
                    return
                if stop.is_set():
                    return
                body = bodies[-1][i]
                r = c.call("POST", "/version-maps", body)
                tally.add(f"round {len(bodies) - 1}", r)
                tally.add("POST /version-maps (all rounds)", r)
                try:
                    done.wait()
                except threading.BrokenBarrierError:
                    return

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
        for th in threads:
            th.start()
        problems: list[str] = []
        created_counts = collections.Counter()
        started = time.monotonic()
        for rnd in range(ROUNDS):
            tag = f"v1.{rnd}.0"
            same = rnd % 2 == 0
            bodies.append([{"componentId": COMPONENT, "tag": tag,
                            "digest": digest(tag if same else f"{tag}-{i}")}
                           for i in range(CLIENTS)])
            start.wait()
            done.wait()
            label = f"round {rnd}"
            counts = tally.counts[label]
            created_counts[counts[201]] += 1
            for s, n in sorted(counts.items()):
                if s not in ALLOWED:
                    what = "no answer (connection error)" if s == 0 else str(s)
                    problems.append(f"{label} tag {tag}: POST /version-maps answered {what} x{n}; "
                                    f"first body: {tally.first_body[(label, s)]}")
            rows = [v for v in versions(c) if v.get("tag") == tag]
            if len(rows) != 1:
                problems.append(f"{label} tag {tag}: {len(rows)} versions exist afterwards, "
                                f"expected exactly 1")
            elif rows[0].get("digest") not in {b["digest"] for b in bodies[-1]}:
                problems.append(f"{label} tag {tag}: stored digest {rows[0].get('digest')} "
                                f"is none of the digests sent")
            if not any(200 <= s < 300 for s in counts):
                problems.append(f"{label} tag {tag}: no client got a 2xx")
        stop.set()
        start.abort()
        elapsed = time.monotonic() - started
        everything = versions(c)
        tags = collections.Counter(v.get("tag") for v in everything)
        if len(everything) != ROUNDS or any(n != 1 for n in tags.values()):
            problems.append(f"after {ROUNDS} rounds the component has {len(everything)} versions "
                            f"over {len(tags)} tags, expected {ROUNDS} over {ROUNDS}")
        total = tally.counts["POST /version-maps (all rounds)"]
        summary = ", ".join(f"{(s or 'conn')}: {n}" for s, n in sorted(total.items()))
        figures = [f"{ROUNDS} rounds x {CLIENTS} clients in {elapsed:.1f}s; answers {summary}",
                   "rounds by number of 201 Created answers: "
                   + ", ".join(f"{k} x201 in {v}" for k, v in sorted(created_counts.items()))]
        if problems:
            fives = sum(n for s, n in total.items() if s >= 500)
            bad_rounds = sum(1 for r in range(ROUNDS)
                             if any(s not in ALLOWED for s in tally.counts[f"round {r}"]))
            lines = [f"{fives} 5xx of {sum(total.values())} requests; "
                     f"{bad_rounds} of {ROUNDS} rounds had a non-2xx/409 answer"] + problems
            errs = server.error_lines()
            if errs:
                lines.append("server log ERROR lines:")
                lines += ["  " + e for e in errs]
            raise TestFailure("\n".join(lines), figures)
        return figures
