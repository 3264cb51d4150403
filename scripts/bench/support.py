"""Processes and clients for the benchmark harness: relman, nginx, docker-registry, wrk."""

import concurrent.futures
import contextlib
import datetime
import hashlib
import http.client
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.parse


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds=30):
    deadline = time.time() + seconds
    parsed = urllib.parse.urlsplit(url)
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=1)
            c.request("GET", parsed.path)
            if c.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


class Api:
    """A keep-alive JSON client for one thread."""

    def __init__(self, base, token):
        self.base, self.token = base, token
        parsed = urllib.parse.urlsplit(base)
        self.prefix = parsed.path
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)

    def clone(self):
        return Api(self.base, self.token)

    def raw(self, method, path, body=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(3):
            try:
                self.conn.request(method, self.prefix + path, body=data, headers=headers)
                r = self.conn.getresponse()
                payload = r.read()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, payload
            except (http.client.HTTPException, OSError):
                self.conn.close()
                if attempt == 2:
                    raise

    def ok(self, method, path, body=None):
        status, _, payload = self.raw(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {payload[:300]!r}")
        return json.loads(payload) if payload else None


def parallel(api, jobs, fn, workers=8):
    """Runs fn(thread_api, job) for every job on `workers` threads, each with its own connection."""
    local = threading.local()

    def run(job):
        if not hasattr(local, "api"):
            local.api = api.clone()
        return fn(local.api, job)

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(run, jobs, chunksize=64):
            pass


class Server:
    """relman-server on a free port; SQLite in `data_dir` unless `database_url` is given."""

    def __init__(self, binary, data_dir, database_url=None):
        os.makedirs(data_dir, exist_ok=True)
        port = free_port()
        # Access logs off, as nginx's are (`access_log off`): both serve bytes, neither logs a
        # line per request. docs/BENCHMARKS.md gives what relman's access log costs.
        # RELMAN_EGRESS_ALLOW: the benchmark's docker-registry listens on 127.0.0.1.
        env = dict(os.environ, RELMAN_LISTEN=f"127.0.0.1:{port}", RELMAN_DATA_DIR=data_dir,
                   RELMAN_LOG_FORMAT="json", RELMAN_EGRESS_ALLOW="loopback",
                   RUST_LOG=os.environ.get("RELMAN_BENCH_LOG", "info,relman_http::request_id=warn"))
        env.pop("RELMAN_DATABASE_URL", None)
        if database_url:
            env["RELMAN_DATABASE_URL"] = database_url
        self.log = open(os.path.join(data_dir, "server.log"), "w")
        self.proc = subprocess.Popen([binary, "serve"], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.root = f"http://127.0.0.1:{port}"
        self.base = f"{self.root}/api/v1"
        wait_for(f"{self.root}/readyz")
        with open(os.path.join(data_dir, "admin-token")) as f:
            self.token = f.read().strip()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class RssSampler:
    """The highest resident set size of a process within each `window()`, in KiB."""

    def __init__(self, pid):
        self.pid, self.windows = pid, []

    def rss(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    @contextlib.contextmanager
    def window(self):
        peak, stop = [self.rss()], threading.Event()

        def sample():
            while not stop.wait(0.1):
                peak[0] = max(peak[0], self.rss())

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        try:
            yield
        finally:
            stop.set()
            t.join()
            self.windows.append(peak[0])


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url, seconds, connections, headers=(), script=None):
    """Runs wrk; returns requests/s, p50/p99 latency in ms and non-2xx/3xx responses."""
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)$", out, re.M)
        result[f"p{pct}_ms"] = float(m.group(1)) * UNITS[m.group(2)] if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["errors"] = int(m.group(1)) if m else 0
    return result


class Nginx:
    """nginx serving files from a folder on a free port, tuned as a static file server."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "nginx")
        self.root = os.path.join(self.dir, "root")
        os.makedirs(self.root, exist_ok=True)
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""
user root;
worker_processes auto;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {self.dir}/body;
  proxy_temp_path {self.dir}/proxy;
  fastcgi_temp_path {self.dir}/fastcgi;
  uwsgi_temp_path {self.dir}/uwsgi;
  scgi_temp_path {self.dir}/scgi;
  server {{
    listen 127.0.0.1:{self.port};
    root {self.root};
    default_type application/json;
  }}
}}
""")
        self.proc = subprocess.Popen(["/usr/sbin/nginx", "-c", conf, "-p", self.dir])
        wait_for(f"http://127.0.0.1:{self.port}/")

    def put(self, name, body):
        with open(os.path.join(self.root, name), "wb") as f:
            f.write(body)

    def url(self, name):
        return f"http://127.0.0.1:{self.port}/{name}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(30)


OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


class Registry:
    """Debian's docker-registry on a free port, anonymous, storage in a temp folder."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "registry")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        conf = os.path.join(self.dir, "config.yml")
        with open(conf, "w") as f:
            f.write(f"""version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {self.dir}/storage
http:
  addr: 127.0.0.1:{self.port}
  secret: relman-bench-upload-secret
""")
        self.log = open(os.path.join(self.dir, "registry.log"), "w")
        self.proc = subprocess.Popen(["/usr/bin/docker-registry", "serve", conf],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for(f"{self.url}/v2/")

    def _conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def _blob(self, conn, repo, data):
        """Uploads a blob: open an upload session, then one PUT with the bytes and digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        conn.request("POST", f"/v2/{repo}/blobs/uploads/", body=b"")
        r = conn.getresponse()
        r.read()
        location = r.getheader("Location")
        if r.status != 202 or not location:
            raise RuntimeError(f"blob upload start: {r.status}")
        path = urllib.parse.urlsplit(location)
        sep = "&" if path.query else "?"
        target = f"{path.path}?{path.query}{sep}digest={digest}" if path.query else \
            f"{path.path}?digest={digest}"
        conn.request("PUT", target, body=data,
                     headers={"Content-Type": "application/octet-stream"})
        r = conn.getresponse()
        r.read()
        if r.status != 201:
            raise RuntimeError(f"blob upload: {r.status}")
        return digest, len(data)

    def push_tags(self, repo, count, workers=8):
        """`count` single-arch images tagged v1.<n/100>.<n%100>, each with its own config blob
        (so a sync with pushedAt must fetch every config) and one shared layer."""
        conn = self._conn()
        layer, layer_size = self._blob(conn, repo, b"relman bench layer")
        base = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        local = threading.local()

        def push(n):
            if not hasattr(local, "conn"):
                local.conn = self._conn()
            created = (base + datetime.timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
            config = json.dumps({"architecture": "amd64", "os": "linux", "created": created,
                                 "rootfs": {"type": "layers", "diff_ids": [layer]}}).encode()
            cdigest, csize = self._blob(local.conn, repo, config)
            manifest = json.dumps({
                "schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": cdigest, "size": csize},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                            "digest": layer, "size": layer_size}]}).encode()
            local.conn.request("PUT", f"/v2/{repo}/manifests/v1.{n // 100}.{n % 100}",
                               body=manifest, headers={"Content-Type": OCI_MANIFEST})
            r = local.conn.getresponse()
            r.read()
            if r.status != 201:
                raise RuntimeError(f"manifest put: {r.status}")

        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            list(pool.map(push, range(count)))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()
