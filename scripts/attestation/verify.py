"""Verifies a relman release attestation: a DSSE envelope holding an in-toto Statement v1,
signed with Ed25519 by one of the server's signing keys (active or retired).

    python3 verify.py BASE_URL RELEASE [--token T] [--image DIGEST]

Needs securesystemslib>=0.27 (and cryptography, which it uses to load the PEM keys)."""

import argparse
import base64
import copy
import json
import sys
import urllib.request

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey


def verify(envelope: dict, keys: list[dict]) -> str:
    """Returns the keyid whose signature verified; raises if none did. The keyid is derived
    from the key itself (as securesystemslib and TUF compute it), not taken on trust."""
    ssl_keys = [SSlibKey.from_crypto(load_pem_public_key(k["publicKey"].encode())) for k in keys]
    # from_dict consumes the dict it is given (the signatures are popped): hand it a copy.
    verified = Envelope.from_dict(copy.deepcopy(envelope)).verify(ssl_keys, 1)
    return next(iter(verified))


def _get(url: str, token: str | None):
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="e.g. https://relman.example.com")
    parser.add_argument("release", help="release id or name")
    parser.add_argument("--token", help="bearer token with read access")
    parser.add_argument("--image", help="a digest that must be one of the subjects")
    args = parser.parse_args()
    api = args.base_url.rstrip("/") + "/api/v1"
    envelope = _get(f"{api}/releases/{args.release}/attestation", args.token)
    keys = _get(f"{api}/signing-keys", args.token)
    try:
        keyid = verify(envelope, keys)
    except Exception as e:  # any failure means: not verified
        print(f"NOT verified: {e}", file=sys.stderr)
        return 1
    statement = json.loads(base64.b64decode(envelope["payload"]))
    print(f"verified: signed by key {keyid}, {len(statement['subject'])} subjects")
    if args.image:
        digests = {"sha256:" + s["digest"]["sha256"] for s in statement["subject"]}
        if args.image not in digests:
            print(f"NOT a subject: {args.image}", file=sys.stderr)
            return 1
        print(f"subject: {args.image}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
