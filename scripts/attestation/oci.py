"""Debian's docker-registry on a free loopback port, and the few OCI Distribution calls the
attestation check needs: push a blob, push a manifest or index, read a manifest or blob.
Standard library only."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import subprocess
import time
import urllib.parse

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    """An anonymous registry storing in `<tmp>/registry`; stop it with `close()`."""

    def __init__(self, tmp: str, port: int):
        self.dir = os.path.join(tmp, "registry")
        os.makedirs(self.dir, exist_ok=True)
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.url = f"http://{self.host}"
        conf = os.path.join(self.dir, "config.yml")
        with open(conf, "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                    f"    rootdirectory: {self.dir}/storage\n  delete:\n    enabled: true\n"
                    f"http:\n  addr: {self.host}\n  secret: relman-attestation-check\n")
        self.log = open(os.path.join(self.dir, "registry.log"), "wb")
        self.proc = subprocess.Popen(["docker-registry", "serve", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while self.request("GET", "/v2/")[0] != 200:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"docker-registry did not start; see {self.dir}/registry.log")
            time.sleep(0.1)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
        except OSError:
            return 0, b"", {}
        finally:
            conn.close()

    def blob(self, repo: str, data: bytes) -> dict:
        """Uploads `data` (monolithic: POST a session, PUT the bytes) and returns its descriptor."""
        digest = sha256(data)
        status, _, headers = self.request("POST", f"/v2/{repo}/blobs/uploads/", b"")
        if status != 202:
            raise RuntimeError(f"blob upload start on {repo}: {status}")
        loc = urllib.parse.urlsplit(headers["location"])
        query = (loc.query + "&" if loc.query else "") + "digest=" + digest
        status, body, _ = self.request("PUT", f"{loc.path}?{query}", data,
                                       {"Content-Type": "application/octet-stream"})
        if status != 201:
            raise RuntimeError(f"blob upload on {repo}: {status} {body[:200]!r}")
        return {"digest": digest, "size": len(data)}

    def manifest(self, repo: str, ref: str, doc: dict, media_type: str) -> str:
        """PUTs a manifest or index under `ref` and returns its digest."""
        data = json.dumps(doc).encode()
        status, body, _ = self.request("PUT", f"/v2/{repo}/manifests/{ref}", data,
                                       {"Content-Type": media_type})
        if status != 201:
            raise RuntimeError(f"manifest put {repo}:{ref}: {status} {body[:200]!r}")
        return sha256(data)

    def image(self, repo: str, tag: str | None, arch: str, variant: str | None = None) -> str:
        """Pushes one single-platform image (config + one layer); returns the manifest digest."""
        platform = {"architecture": arch, "os": "linux", **({"variant": variant} if variant else {})}
        layer = {"mediaType": OCI_LAYER, **self.blob(repo, f"layer {repo} {arch}".encode())}
        config = dict(platform, created="2026-01-01T00:00:00Z",
                      rootfs={"type": "layers", "diff_ids": [layer["digest"]]})
        doc = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
               "config": {"mediaType": OCI_CONFIG, **self.blob(repo, json.dumps(config).encode())},
               "layers": [layer]}
        data_ref = tag or sha256(json.dumps(doc).encode())
        return self.manifest(repo, data_ref, doc, OCI_MANIFEST)

    def multi_arch(self, repo: str, tag: str) -> tuple[str, list[str]]:
        """Pushes an OCI index of linux/amd64 and linux/arm64/v8; returns (index, platforms)."""
        entries, digests = [], []
        for arch, variant in (("amd64", None), ("arm64", "v8")):
            digest = self.image(repo, None, arch, variant)
            _, body, _ = self.request("GET", f"/v2/{repo}/manifests/{digest}",
                                      headers={"Accept": OCI_MANIFEST})
            platform = {"architecture": arch, "os": "linux", **({"variant": variant} if variant else {})}
            entries.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": len(body),
                            "platform": platform})
            digests.append(digest)
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        return self.manifest(repo, tag, index, OCI_INDEX), digests

    def get_manifest(self, repo: str, ref: str) -> tuple[int, bytes, str]:
        status, body, headers = self.request(
            "GET", f"/v2/{repo}/manifests/{ref}",
            headers={"Accept": f"{OCI_INDEX}, {OCI_MANIFEST}"})
        return status, body, headers.get("content-type", "")

    def get_blob(self, repo: str, digest: str) -> tuple[int, bytes]:
        status, body, _ = self.request("GET", f"/v2/{repo}/blobs/{digest}")
        return status, body

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(15)
        self.log.close()
