"""Proves the checker's own parts without a signing server: images pushed to a real
docker-registry, an envelope signed here (securesystemslib's PAE, Ed25519 from cryptography)
over a statement naming those images, verified by verify.py, and the tampering check failing
each forged variant. Exit 1 on any failure.

    python3 selftest.py
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "reliability"))
sys.path.insert(0, HERE)

import check  # noqa: E402
import harness  # noqa: E402
import oci  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402
from securesystemslib.dsse import Envelope  # noqa: E402
from verify import verify  # noqa: E402


def key() -> tuple[Ed25519PrivateKey, dict]:
    private = Ed25519PrivateKey.generate()
    pem = private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return private, {"keyid": check.derived_keyid(pem.decode()), "algorithm": "ed25519",
                     "publicKey": pem.decode(), "status": "active"}


def sign(private: Ed25519PrivateKey, keyid: str, stmt: dict) -> dict:
    env = {"payload": base64.b64encode(json.dumps(stmt).encode()).decode(),
           "payloadType": check.INTOTO, "signatures": []}
    pae = Envelope.from_dict(json.loads(json.dumps(env))).pae()  # from_dict consumes its input
    env["signatures"] = [{"keyid": keyid, "sig": base64.b64encode(private.sign(pae)).decode()}]
    return env


def main() -> int:
    tmp = tempfile.mkdtemp(prefix="relman-attest-self-")
    registry = oci.Registry(tmp, harness.free_port())
    try:
        web = registry.image("self/web", "1.0.0", "amd64")
        worker, platforms = registry.multi_arch("self/worker", "1.0.0")
        status, body, ctype = registry.get_manifest("self/worker", "1.0.0")
        index = json.loads(body)
        assert status == 200 and ctype == oci.OCI_INDEX, (status, ctype)
        assert [m["digest"] for m in index["manifests"]] == platforms, index
        assert oci.sha256(body) == worker, "the index digest is not the pushed bytes' digest"
        subjects = [{"name": f"{registry.host}/self/{repo}", "digest": {"sha256": d[7:]}}
                    for repo, d in [("web", web), ("worker", worker),
                                    *[("worker", p) for p in platforms]]]
        stmt = {"_type": "https://in-toto.io/Statement/v1", "subject": subjects,
                "predicateType": check.PREDICATE, "predicate": {"name": "self-1"}}
        private, listed = key()
        old_private, old_listed = key()
        env = sign(private, listed["keyid"], stmt)
        old_env = sign(old_private, old_listed["keyid"], stmt)
        assert verify(env, [old_listed, listed]) == listed["keyid"]
        assert verify(old_env, [old_listed, listed]) == old_listed["keyid"]
        assert check.rejects(env, [old_listed]), "verified with the wrong key"
        check.check_tampering({"env1": env, "key1": listed})
        print("PASS self-test: registry pushes, signing, verify.py and the tampering check")
        return 0
    except (AssertionError, check.Failed) as e:
        print(f"FAIL self-test: {e!r}")
        return 1
    finally:
        registry.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
