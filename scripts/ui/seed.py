"""What the dashboard check shows: tiny images pushed with skopeo into a real docker-registry, and
components, versions, environments, releases, deployments and tokens made through the REST API,
as a user of relman would make them. Standard library only (and the skopeo binary)."""

from __future__ import annotations

import concurrent.futures
import hashlib
import http.client
import io
import json
import os
import subprocess
import tarfile
import threading
import uuid

import harness  # the reliability tests' server process and HTTP client
import oci  # the attestation check's docker-registry


class Failed(Exception):
    """A check did not hold; the message says what was seen."""


def expect(cond, message: str) -> None:
    if not cond:
        raise Failed(message)


def call(client, method, path, body=None, status=(200, 201)):
    r = client.call(method, path, body)
    expect(r.status in status, f"{method} /api/v1{path} -> {r.status}: "
                               f"{harness.excerpt(r.body, 400)}")
    return r


# ---------------------------------------------------------------------------------------------
# Images


def _blob(layout: str, data: bytes) -> dict:
    digest = oci.sha256(data)
    path = os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1])
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": digest, "size": len(data)}


def _layer(text: str) -> bytes:
    """A real, reproducible tar holding one small file."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        data = text.encode()
        info = tarfile.TarInfo("etc/relman-demo")
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Images:
    """An OCI image layout on disk with one tiny single-platform image per (repository, tag),
    each its own digest; `push` copies one into the registry with skopeo."""

    def __init__(self, tmp: str, registry: oci.Registry):
        self.registry = registry
        self.layout = os.path.join(tmp, "images")
        os.makedirs(os.path.join(self.layout, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(self.layout, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        self.index: list[dict] = []
        self.digests: dict[tuple[str, str], str] = {}
        self.lock = threading.Lock()

    def build(self, repo: str, tag: str) -> str:
        layer = {"mediaType": oci.OCI_LAYER,
                 **_blob(self.layout, _layer(f"{repo} {tag}\n"))}
        config = {"architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
                  "config": {"Labels": {"org.opencontainers.image.version": tag}},
                  "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}
        doc = {"schemaVersion": 2, "mediaType": oci.OCI_MANIFEST,
               "config": {"mediaType": oci.OCI_CONFIG,
                          **_blob(self.layout, json.dumps(config).encode())},
               "layers": [layer]}
        manifest = _blob(self.layout, json.dumps(doc).encode())
        ref = f"{repo.replace('/', '-')}-{tag}"
        self.index.append({"mediaType": oci.OCI_MANIFEST, **manifest,
                           "annotations": {"org.opencontainers.image.ref.name": ref},
                           "platform": {"architecture": "amd64", "os": "linux"}})
        with open(os.path.join(self.layout, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": oci.OCI_INDEX,
                       "manifests": self.index}, f)
        return ref

    def push(self, repo: str, tag: str) -> str:
        """Builds and pushes `repo:tag`; returns the digest the registry serves for it."""
        with self.lock:
            ref = self.build(repo, tag)
        dest = f"docker://{self.registry.host}/{repo}:{tag}"
        out = subprocess.run(["skopeo", "--insecure-policy", "copy", "--quiet",
                              "--preserve-digests", "--dest-tls-verify=false",
                              f"oci:{self.layout}:{ref}", dest],
                             capture_output=True, text=True, timeout=120)
        expect(out.returncode == 0, f"skopeo copy to {dest} exited {out.returncode}: "
                                    f"{out.stderr.strip()[-400:]}")
        status, _, headers = self.registry.request(
            "HEAD", f"/v2/{repo}/manifests/{tag}",
            headers={"Accept": f"{oci.OCI_MANIFEST}, {oci.OCI_INDEX}"})
        digest = headers.get("docker-content-digest")
        expect(status == 200 and digest, f"the registry answers {status} for {repo}:{tag} "
                                         f"after skopeo copy")
        self.digests[(repo, tag)] = digest
        return digest

    def push_all(self, pairs: list[tuple[str, str]]) -> None:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda p: self.push(*p), pairs))

    def delete(self, repo: str, tag: str) -> None:
        """Removes the manifest (and so the tag) from the registry."""
        digest = self.digests[(repo, tag)]
        status, body, _ = self.registry.request("DELETE", f"/v2/{repo}/manifests/{digest}")
        expect(status == 202, f"registry DELETE {repo}@{digest} -> {status} {body[:200]!r}")
        status, body, _ = self.registry.request("GET", f"/v2/{repo}/tags/list")
        tags = (json.loads(body).get("tags") or []) if status == 200 else None
        expect(tags is not None and tag not in tags,
               f"after deleting {repo}:{tag} the registry lists tags {tags}")


# ---------------------------------------------------------------------------------------------
# API


def upload_asset(server: harness.Server, release: str, name: str, data: bytes) -> dict:
    boundary = "relman-" + uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\""
            f"\r\nContent-Type: application/octet-stream\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=harness.HTTP_TIMEOUT)
    try:
        c.request("POST", f"/api/v1/releases/{release}/assets?label=Linux+(x86-64)", body=body,
                  headers={"Authorization": "Bearer " + server.token,
                           "Content-Type": f"multipart/form-data; boundary={boundary}"})
        r = c.getresponse()
        payload = r.read()
    finally:
        c.close()
    expect(r.status == 201, f"asset upload to {release} -> {r.status}: {harness.excerpt(payload)}")
    return json.loads(payload)


def create_release(client, body: dict, ready: bool = True) -> dict:
    rel = call(client, "POST", "/releases", body, status=(201,)).json()
    if ready and rel["status"] == "draft":
        rel = call(client, "PUT", f"/releases/{rel['id']}", {"status": "ready"},
                   status=(200,)).json()
        expect(rel["status"] == "ready", f"PUT status ready on {body['name']} answered {rel}")
    return rel


def promote(client, release: str, env: str, outcome: str | None = "succeeded") -> dict:
    dep = call(client, "POST", f"/releases/{release}/promote", {"environmentId": env},
               status=(201,)).json()
    if outcome:
        dep = call(client, "POST", f"/deployments/{dep['id']}/complete",
                   {"outcome": outcome, "message": "rolled out"}, status=(200,)).json()
    return dep


XSS_NAME = "<script>window.__xss=1</script>Evil"
XSS_NOTES = ("A release with hostile notes.\n\n"
             "<script>window.__xss=2</script>\n\n"
             "<img src=x onerror=\"window.__xss=3\">\n\n"
             "This word is **bold**, and [this link](javascript:window.__xss=4) goes nowhere.\n")
ASSET = b"relman dashboard asset\n" * 64


def seed_main(st: dict) -> None:
    """The main server's content: two repositories pushed with skopeo, synced; three
    environments; shop-v1.0.0 and shop-v1.1.0 (ready); a read token; the hostile draft."""
    client, images, server = st["client"], st["images"], st["server"]
    images.push_all([("acme/api", t) for t in ("v0.8.0", "v0.9.0", "v1.0.0", "v1.1.0")]
                    + [("acme/web", t) for t in ("v1.0.0", "v1.1.0")])
    integration = call(client, "POST", "/registry-integrations",
                       {"name": "local", "url": st["registry"].url, "insecure": True},
                       status=(201,)).json()
    for name, repo in (("api", "acme/api"), ("web", "acme/web")):
        call(client, "POST", "/components",
             {"name": name, "displayName": name.upper() + " service", "imageRepository": repo,
              "registryIntegrationId": integration["id"]}, status=(201,))
        sync = call(client, "POST", f"/components/{name}/sync-versions", {}, status=(200,)).json()
        want = 4 if name == "api" else 2
        expect(sync.get("added") == want, f"sync of {name} added {sync.get('added')}, want {want}")
    call(client, "POST", "/components/api/versions/v0.9.0/yank", {"reason": "broken build"},
         status=(200,))
    for order, env in enumerate(("development", "staging", "production"), start=1):
        call(client, "POST", "/environments",
             {"name": env, "displayName": env.capitalize(), "order": order}, status=(201,))
    st["v1"] = create_release(client, {
        "name": "shop-v1.0.0", "displayName": "Shop 1.0.0", "version": "1.0.0",
        "notes": "The first shop release.",
        "components": [{"componentId": "api", "version": "1.0.0"},
                       {"componentId": "web", "version": "1.0.0"}]})
    draft = create_release(client, {
        "name": "shop-v1.1.0", "displayName": "Shop 1.1.0", "version": "1.1.0",
        "notes": "Faster *checkout*.",
        "components": [{"componentId": "api", "version": "1.1.0"},
                       {"componentId": "web", "version": "1.1.0"}]}, ready=False)
    st["asset"] = upload_asset(server, draft["id"], "shop-cli-linux-amd64.txt", ASSET)
    st["v11"] = call(client, "PUT", f"/releases/{draft['id']}", {"status": "ready"},
                     status=(200,)).json()
    st["xss_release"] = create_release(client, {
        "name": "xss-v0.0.1", "displayName": XSS_NAME, "version": "0.0.1", "notes": XSS_NOTES,
        "components": [{"componentId": "api", "version": "1.0.0"}]}, ready=False)
    tok = call(client, "POST", "/tokens", {"name": "dashboard-reader", "scopes": ["read"]},
               status=(201,)).json()
    expect(tok.get("secret", "").startswith("relman_pat_"), f"POST /tokens answered {tok}")
    st["read_token"], st["read_token_id"] = tok["secret"], tok["id"]


def seed_scale(client, releases: int, environments: int, deployments: int,
               threads: int = 6) -> dict:
    """A big installation: `environments` environments, `releases` ready releases sharing two
    members, and `deployments` succeeded deployments spread over the environments."""
    for comp in ("api", "web"):
        call(client, "POST", "/components", {"name": comp, "imageRepository": f"scale/{comp}"},
             status=(201,))
        for minor in range(3):
            digest = "sha256:" + hashlib.sha256(f"{comp} {minor}".encode()).hexdigest()
            call(client, "POST", "/version-maps",
                 {"componentId": comp, "tag": f"v1.{minor}.0", "digest": digest}, status=(201,))
    envs = [f"env-{i:02d}" for i in range(1, environments + 1)]
    for order, env in enumerate(envs, start=1):
        call(client, "POST", "/environments", {"name": env, "order": order * 10}, status=(201,))
    names = [f"app-v{1 + i // 100}.{i % 100}.0" for i in range(releases)]

    def make(i: int) -> dict:
        return create_release(client, {
            "name": names[i], "version": f"{1 + i // 100}.{i % 100}.0",
            "components": [{"componentId": "api", "version": f"1.{i % 3}.0"},
                           {"componentId": "web"}]})

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        made = list(pool.map(make, range(releases)))
    # Deployments: per environment one after another (one in progress at a time), the
    # environments side by side; the last few releases of the list go everywhere.
    per_env = deployments // environments

    def deploy(env_index: int) -> list[dict]:
        out = []
        for k in range(per_env):
            rel = made[(releases - 1) - (k * 7 + env_index) % releases]
            out.append(promote(client, rel["id"], envs[env_index]))
        return out

    with concurrent.futures.ThreadPoolExecutor(min(threads, environments)) as pool:
        deps = [d for ds in pool.map(deploy, range(environments)) for d in ds]
    return {"environments": envs, "releases": made, "deployments": deps}
