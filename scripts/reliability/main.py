"""Runs every reliability test on every backend, prints figures and failures, and ends with
`N passed, N failed`. Exit status 1 when anything failed. Invoked by scripts/reliability/run."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import PostgresBackend, SqliteBackend, TestFailure  # noqa: E402
import concurrent_writers  # noqa: E402
import kill9  # noqa: E402
import same_tag_race  # noqa: E402

TESTS = {
    "concurrent-writers": concurrent_writers.run,
    "same-tag-race": same_tag_race.run,
    "kill9": kill9.run,
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--tests", default=",".join(TESTS))
    args = ap.parse_args()

    # SIGTERM (CI cancelling, the driver's time guard) unwinds like Ctrl-C, so servers are stopped
    # and temporary databases dropped by the tests' finally blocks.
    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)

    backends = []
    for name in args.backends.split(","):
        if name == "sqlite":
            backends.append(SqliteBackend())
        elif name == "postgres":
            pg = PostgresBackend(args.postgres_url)
            pg.check()  # raises: PostgreSQL is required, never skipped
            backends.append(pg)
        else:
            ap.error(f"unknown backend {name}")
    tests = [t for t in args.tests.split(",") if t]
    for t in tests:
        if t not in TESTS:
            ap.error(f"unknown test {t}; known: {', '.join(TESTS)}")

    passed = failed = 0
    began = time.monotonic()
    per_backend: dict[str, float] = {}
    for backend in backends:
        b0 = time.monotonic()
        for name in tests:
            label = f"{name} [{backend.name}]"
            print(f"== {label}", flush=True)
            t0 = time.monotonic()
            try:
                figures = TESTS[name](args.binary, backend)
                ok, message = True, ""
            except TestFailure as e:
                figures, ok, message = e.figures, False, str(e)
            except KeyboardInterrupt:
                print(f"FAIL {label}: interrupted")
                print(f"{passed} passed, {failed + 1} failed")
                return 1
            except Exception:  # a bug in the test itself still counts, loudly
                figures, ok, message = [], False, "test crashed:\n" + traceback.format_exc()
            for f in figures:
                print("  " + f.replace("\n", "\n  "))
            took = time.monotonic() - t0
            if ok:
                passed += 1
                print(f"PASS {label} ({took:.1f}s)", flush=True)
            else:
                failed += 1
                print(f"FAIL {label} ({took:.1f}s):", flush=True)
                for line in message.splitlines():
                    print("  ! " + line)
        per_backend[backend.name] = time.monotonic() - b0
    print()
    print("time: " + ", ".join(f"{b} {s:.0f}s" for b, s in per_backend.items())
          + f", total {time.monotonic() - began:.0f}s")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
