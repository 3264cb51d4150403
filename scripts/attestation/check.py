"""Black-box check of signed releases against a relman-server binary, with standard tooling only:
securesystemslib verifies the DSSE envelope, jsonschema validates the predicate, and the OCI
attachments are read back from a real docker-registry. Each check prints PASS or FAIL; the exit
status is 1 when any failed.

    python3 check.py --binary target/release/relman-server [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts", "reliability"))
sys.path.insert(0, HERE)

import harness  # noqa: E402  the reliability tests' server process and HTTP client
import oci  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import (  # noqa: E402
    Encoding, PublicFormat, load_pem_public_key)
from securesystemslib.signer import SSlibKey  # noqa: E402
from verify import verify  # noqa: E402

INTOTO = "application/vnd.in-toto+json"
PREDICATE = "https://relman.dev/attestation/release-bundle/v1"
SCHEMA = os.path.join(ROOT, "docs", "attestation", "release-bundle-v1.schema.json")
DOC = os.path.join(ROOT, "docs", "ATTESTATION.md")


class Failed(Exception):
    """A check did not hold; the message says what was seen."""


def expect(cond: bool, message: str) -> None:
    if not cond:
        raise Failed(message)


def call(client, method, path, body=None, status=(200, 201)):
    r = client.call(method, path, body)
    expect(r.status in status, f"{method} {path} -> {r.status}: {harness.excerpt(r.body, 400)}")
    return r


def make_ready(client, release_id: str) -> None:
    """Leaves draft (`PUT /releases/{id}` with a status, which signs the release)."""
    r = client.call("PUT", f"/releases/{release_id}", {"status": "ready"})
    expect(r.ok, f"making {release_id} ready -> {r.status}: {harness.excerpt(r.body, 400)}")


def statement(envelope: dict) -> dict:
    return json.loads(base64.b64decode(envelope["payload"]))


def problem_code(r) -> str | None:
    try:
        return (json.loads(r.body) or {}).get("code")
    except (ValueError, AttributeError):
        return None


def rejects(envelope: dict, keys: list[dict]) -> bool:
    try:
        verify(envelope, keys)
    except Exception:
        return True
    return False


def flip(b64: str, at: int) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[at % len(raw)] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def derived_keyid(pem: str) -> str:
    return SSlibKey.from_crypto(load_pem_public_key(pem.encode())).keyid


def setup_catalogue(client, registry, prefix: str, push_attestations: bool) -> dict:
    """A plain image and a multi-arch index pushed, an integration, two synced components."""
    web = registry.image(f"{prefix}/web", "1.0.0", "amd64")
    worker, platforms = registry.multi_arch(f"{prefix}/worker", "1.0.0")
    body = {"name": f"{prefix}-registry", "url": registry.url, "insecure": True}
    if push_attestations:
        body["pushAttestations"] = True
    integration = call(client, "POST", "/registry-integrations", body).json()
    for name in ("web", "worker"):
        call(client, "POST", "/components", {"name": f"{prefix}-{name}",
                                              "imageRepository": f"{prefix}/{name}",
                                              "registryIntegrationId": integration["id"]})
        call(client, "POST", f"/components/{prefix}-{name}/sync-versions", {})
    return {"integration": integration, "web": web, "worker": worker, "platforms": platforms,
            "prefix": prefix}


def new_release(client, cat: dict, name: str) -> dict:
    members = [{"componentId": f"{cat['prefix']}-{c}", "version": "1.0.0"}
               for c in ("web", "worker")]
    return call(client, "POST", "/releases", {"name": name, "components": members}).json()


def attestation(client, release_id: str) -> tuple[dict, bytes]:
    r = call(client, "GET", f"/releases/{release_id}/attestation", status=(200,))
    return json.loads(r.body), r.body


# ---------------------------------------------------------------------------------------------
# The checks, in order; each reads and extends `st`.


def check_sign_and_verify(st: dict) -> None:
    client, cat = st["client"], st["cat"]
    rel = new_release(client, cat, "attest-1")
    st["r1"] = rel["id"]
    r = client.call("GET", f"/releases/{rel['id']}/attestation")
    expect(r.status == 404 and problem_code(r) == "not_signed"
           and r.headers.get("content-type", "").startswith("application/problem+json"),
           f"draft attestation -> {r.status} {harness.excerpt(r.body)} (want 404 not_signed)")
    make_ready(client, rel["id"])
    env, raw = attestation(client, rel["id"])
    st["env1"], st["raw1"] = env, raw
    keys = call(client, "GET", "/signing-keys", status=(200,)).json()
    expect(len(keys) == 1 and keys[0]["status"] == "active" and keys[0]["algorithm"] == "ed25519",
           f"want one active ed25519 key, got {keys}")
    expect(keys[0]["keyid"] == derived_keyid(keys[0]["publicKey"]),
           f"listed keyid {keys[0]['keyid']} is not the key's own "
           f"{derived_keyid(keys[0]['publicKey'])}")
    st["key1"] = keys[0]
    expect(env["payloadType"] == INTOTO, f"payloadType {env['payloadType']}")
    keyid = verify(env, keys)
    expect(keyid == keys[0]["keyid"], f"verified with {keyid}, want {keys[0]['keyid']}")
    out = subprocess.run([sys.executable, os.path.join(HERE, "verify.py"), st["server"].base,
                          rel["id"], "--token", st["server"].token, "--image", cat["worker"]],
                         capture_output=True, text=True, timeout=60)
    expect(out.returncode == 0, f"verify.py exited {out.returncode}: {out.stdout}{out.stderr}")
    stmt = statement(env)
    expect(stmt.get("_type") == "https://in-toto.io/Statement/v1", f"_type {stmt.get('_type')}")
    expect(stmt.get("predicateType") == PREDICATE, f"predicateType {stmt.get('predicateType')}")
    subjects = {"sha256:" + s["digest"]["sha256"]: s["name"] for s in stmt["subject"]}
    for digest, repo in [(cat["web"], "web"), (cat["worker"], "worker"),
                         *[(p, "worker") for p in cat["platforms"]]]:
        want = f"{st['registry'].host}/{cat['prefix']}/{repo}"
        expect(subjects.get(digest) == want,
               f"subject {digest} named {subjects.get(digest)!r}, want {want!r}")
    members = {m["digest"]: m for m in stmt["predicate"].get("members", [])}
    expect(set(members) == {cat["web"], cat["worker"]}, f"predicate members {sorted(members)}")
    got = sorted(p["digest"] for p in members[cat["worker"]].get("platforms", []))
    expect(got == sorted(cat["platforms"]), f"worker platforms {got}, want {cat['platforms']}")
    if os.path.exists(SCHEMA):
        import jsonschema
        with open(SCHEMA) as f:
            jsonschema.validate(stmt["predicate"], json.load(f))
    else:
        print(f"    note: {os.path.relpath(SCHEMA, ROOT)} does not exist; schema check skipped")


def check_tampering(st: dict) -> None:
    env, keys = st["env1"], [st["key1"]]
    payload = bytearray(base64.b64decode(env["payload"]))
    payload[len(payload) // 2] ^= 0x01
    changed = dict(env, payload=base64.b64encode(bytes(payload)).decode())
    expect(rejects(changed, keys), "a changed payload verified")
    sig = dict(env["signatures"][0], sig=flip(env["signatures"][0]["sig"], 7))
    expect(rejects(dict(env, signatures=[sig]), keys), "a changed signature verified")
    other = Ed25519PrivateKey.generate().public_key()
    pem = other.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    stranger = {"keyid": derived_keyid(pem), "publicKey": pem, "status": "retired"}
    expect(rejects(env, [stranger]), "verified with an unrelated key")


def check_rotation(st: dict) -> None:
    client, old = st["client"], st["key1"]
    new = call(client, "POST", "/signing-keys/rotate", status=(201,)).json()
    expect(new["status"] == "active" and new["keyid"] != old["keyid"], f"rotate answered {new}")
    keys = call(client, "GET", "/signing-keys", status=(200,)).json()
    status = {k["keyid"]: k["status"] for k in keys}
    expect(status == {old["keyid"]: "retired", new["keyid"]: "active"}, f"after rotate: {status}")
    retired = [k for k in keys if k["keyid"] == old["keyid"]][0]
    expect(retired.get("retiredAt"), f"retired key without retiredAt: {retired}")
    expect(verify(st["env1"], keys) == old["keyid"], "the old release no longer verifies")
    _, raw = attestation(client, st["r1"])
    expect(raw == st["raw1"], "the old release's envelope bytes changed after the rotation")
    rel = new_release(client, st["cat"], "attest-2")
    make_ready(client, rel["id"])
    env, raw = attestation(client, rel["id"])
    st["r2"], st["raw2"], st["key2"] = rel["id"], raw, new
    expect([s["keyid"] for s in env["signatures"]] == [new["keyid"]],
           f"release after rotation signed by {[s['keyid'] for s in env['signatures']]}")
    expect(verify(env, keys) == new["keyid"], "the new release does not verify")
    expect(rejects(env, [retired]), "the new release verified with only the retired key")


def check_referrers(st: dict) -> None:
    client, reg, cat = st["client"], st["registry"], st["cat"]
    for rid, raw in ((st["r1"], st["raw1"]), (st.get("r2"), st.get("raw2"))):
        if rid is None:
            continue
        for repo, digest in ((f"{cat['prefix']}/web", cat["web"]),
                             (f"{cat['prefix']}/worker", cat["worker"])):
            tag = "sha256-" + digest.split(":", 1)[1]
            status, body, ctype = reg.get_manifest(repo, tag)
            expect(status == 200, f"{repo}:{tag} -> {status}")
            index = json.loads(body)
            expect(index.get("mediaType") == oci.OCI_INDEX or oci.OCI_INDEX in ctype,
                   f"{repo}:{tag} is {ctype} {index.get('mediaType')}, not an OCI index")
            found = []
            for entry in index.get("manifests", []):
                if entry.get("artifactType") != INTOTO:
                    continue
                s, mbody, _ = reg.get_manifest(repo, entry["digest"])
                manifest = json.loads(mbody) if s == 200 else {}
                layers = manifest.get("layers", [])
                if len(layers) == 1 and reg.get_blob(repo, layers[0]["digest"]) == (200, raw):
                    expect(manifest.get("subject", {}).get("digest") == digest,
                           f"artifact {entry['digest']} has subject {manifest.get('subject')}")
                    found.append(entry["digest"])
            expect(found, f"no in-toto entry of {repo}:{tag} holds the attestation of {rid}; "
                          f"index: {harness.excerpt(body, 600)}")
        rows = call(client, "GET", f"/releases/{rid}/attachments", status=(200,)).json()
        # docker-registry has no referrers API, so every push must have gone through the tag.
        expect(sorted(r["subjectDigest"] for r in rows) == sorted([cat["web"], cat["worker"]])
               and all(r["status"] == "pushed" and r["via"] == "tag" for r in rows),
               f"attachments of {rid}: {rows}")


def check_resync(st: dict) -> None:
    client, prefix = st["client"], st["cat"]["prefix"]
    for name in ("web", "worker"):
        call(client, "POST", f"/components/{prefix}-{name}/sync-versions", {})
        tags = [v["tag"] for v in call(client, "GET", f"/components/{prefix}-{name}/versions",
                                       status=(200,)).json()]
        expect(not [t for t in tags if t.startswith("sha256-")], f"{name} versions: {tags}")
        expect("1.0.0" in tags, f"{name} lost its version: {tags}")


def check_collision(st: dict) -> None:
    client, cat = st["client"], st["cat"]
    call(client, "POST", "/components", {"name": f"{cat['prefix']}-web-too",
                                          "imageRepository": f"{cat['prefix']}/web",
                                          "registryIntegrationId": cat["integration"]["id"]})
    call(client, "POST", f"/components/{cat['prefix']}-web-too/sync-versions", {})
    members = [{"componentId": f"{cat['prefix']}-{c}", "version": "1.0.0"}
               for c in ("web", "web-too")]
    r = client.call("POST", "/releases", {"name": "attest-collide", "components": members})
    expect(r.status == 400 and problem_code(r) == "member_collision",
           f"POST /releases with two members on one repository -> {r.status} "
           f"{harness.excerpt(r.body)}")


def check_keys_cli(st: dict) -> None:
    st["server"].stop()
    out = subprocess.run([st["binary"], "keys", "list", "--data-dir", st["server"].data_dir],
                         capture_output=True, text=True, timeout=60)
    expect(out.returncode == 0, f"keys list exited {out.returncode}: {out.stderr.strip()}")
    lines = {tuple(line.split()[:2]) for line in out.stdout.splitlines() if line.strip()}
    want = {(st["key1"]["keyid"], "retired"), (st["key2"]["keyid"], "active")}
    expect(want <= lines, f"keys list printed {out.stdout!r}, want {sorted(want)}")


class SharedDatabase(harness.Backend):
    """One existing PostgreSQL database handed to several servers; dropped by its maker."""

    name = "postgres"

    def __init__(self, url: str):
        self.url = url

    def new_database(self) -> str | None:
        return self.url


def check_postgres(st: dict) -> None:
    pg = harness.PostgresBackend(st["postgres_url"])
    try:
        pg.check()
    except harness.TestFailure as e:
        raise Failed(f"PostgreSQL is required and not reachable at {st['postgres_url']}: {e}")
    url = pg.new_database()
    shared = SharedDatabase(url)
    a = harness.Server(st["binary"], shared, "attest-pg-a")
    b = harness.Server(st["binary"], shared, "attest-pg-b")
    # Replicas of one database share the secret key that seals stored secrets, signing keys
    # included (docs/OPERATIONS.md); each has its own data folder.
    secret = {"RELMAN_SECRET_KEY": os.urandom(32).hex()}
    a.env = b.env = secret
    # The servers die with the thread that spawned them (PR_SET_PDEATHSIG follows the thread),
    # so each starting thread stays alive until the check is over.
    over = threading.Event()
    started = threading.Semaphore(0)
    try:
        errors: list[str] = []

        def start(server):
            try:
                server.start()
            except BaseException as e:  # reported below, with the log's opening (the cause)
                with open(server.log_path, errors="replace") as f:
                    errors.append(f"{server.label}: {e.__class__.__name__}: "
                                  f"{harness.excerpt(f.read(), 300)}")
            finally:
                started.release()
            over.wait()

        threads = [threading.Thread(target=start, args=(s,), daemon=True) for s in (a, b)]
        for t in threads:
            t.start()
        for _ in threads:
            started.acquire()
        expect(not errors, "two servers started together on a fresh database: " + "; ".join(errors))
        ca, cb = a.client(), b.client()
        ka = call(ca, "GET", "/signing-keys", status=(200,)).json()
        kb = call(cb, "GET", "/signing-keys", status=(200,)).json()
        active = lambda keys: [k["keyid"] for k in keys if k["status"] == "active"]  # noqa: E731
        expect(len(ka) == 1 and active(ka) == active(kb) and len(kb) == 1,
               f"servers started together disagree: A {active(ka)} of {len(ka)}, "
               f"B {active(kb)} of {len(kb)}")
        cat = setup_catalogue(ca, st["registry"], "pg", push_attestations=False)
        rel = new_release(ca, cat, "pg-1")
        make_ready(ca, rel["id"])
        env, _ = attestation(ca, rel["id"])
        expect(verify(env, kb) == active(kb)[0], "A's release does not verify with B's keys")
        new = call(cb, "POST", "/signing-keys/rotate", status=(201,)).json()
        rel = new_release(ca, cat, "pg-2")
        make_ready(ca, rel["id"])
        env, _ = attestation(ca, rel["id"])
        signed = [s["keyid"] for s in env["signatures"]]
        expect(signed == [new["keyid"]],
               f"after rotating through B, A signed with {signed}, want {new['keyid']}")
        expect(verify(env, call(cb, "GET", "/signing-keys").json()) == new["keyid"],
               "A's second release does not verify with B's key list")
    finally:
        a.close()
        b.close()
        over.set()
        pg.drop(url)


def check_doc(st: dict) -> None:
    with open(os.path.join(HERE, "verify.py")) as f:
        snippet = f.read()
    expect(os.path.exists(DOC), f"{DOC} is missing")
    with open(DOC) as f:
        expect(snippet in f.read(), "docs/ATTESTATION.md does not hold scripts/attestation/"
                                    "verify.py verbatim")


CHECKS = [
    ("a. sign on ready, verify with securesystemslib, subjects and schema", check_sign_and_verify),
    ("b. a changed payload, a changed signature and a foreign key fail", check_tampering),
    ("c. rotation: old release verifies, new release carries the new keyid", check_rotation),
    ("d. attachments: sha256-<hex> index points at the exact envelope bytes", check_referrers),
    ("e. a re-sync adds no sha256-* version", check_resync),
    ("f. two members on one integration+repository: 400 member_collision", check_collision),
    ("c. `relman-server keys list` on the stopped server shows both keys", check_keys_cli),
    ("g. PostgreSQL: two servers started together share one key and its rotation",
     check_postgres),
    ("docs/ATTESTATION.md holds verify.py verbatim", check_doc),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "RELMAN_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="relman-attest-")
    registry = oci.Registry(tmp, harness.free_port())
    server = harness.Server(os.path.abspath(args.binary), harness.SqliteBackend(), "attest")
    st = {"binary": os.path.abspath(args.binary), "postgres_url": args.postgres_url,
          "registry": registry, "server": server}
    passed = failed = 0
    try:
        try:
            server.start()
            st["client"] = server.client()
            st["cat"] = setup_catalogue(st["client"], registry, "app", push_attestations=True)
        except Exception as e:
            print(f"FAIL setup (SQLite server, registry, components, sync): {e}")
            failed += 1
        for title, fn in CHECKS:
            try:
                fn(st)
                passed += 1
                print(f"PASS {title}", flush=True)
            except KeyError as e:
                failed += 1
                print(f"FAIL {title}: needs {e} from an earlier check that failed", flush=True)
            except Exception as e:
                failed += 1
                detail = str(e) if isinstance(e, (Failed, harness.TestFailure)) else \
                    traceback.format_exc(limit=3)
                print(f"FAIL {title}: {detail}", flush=True)
    finally:
        server.close()
        registry.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
