"""Drives relman through a Python client generated from openapi/relman.json.

Usage: smoke.py CLIENT_DIR BASE_URL TOKEN (scripts/sdk-check sets these up).
"""
import sys

client_dir, base_url, token = sys.argv[1:4]
sys.path.insert(0, client_dir)
from relman_client import AuthenticatedClient
from relman_client.api.components import create_component, list_component_versions
from relman_client.api.version_maps import create_version_map
from relman_client.api.releases import create_release, get_release
from relman_client.models import CreateComponentRequest, CreateVersionMapRequest, CreateReleaseRequest, MemberRequest
c = AuthenticatedClient(base_url=base_url, token=token)


def check(label, response, status):
    assert response.status_code == status, f"{label}: {response.status_code} {response.content!r}"
    print(f"{label}: {response.status_code} {type(response.parsed).__name__}")
    return response.parsed

digest = "sha256:" + "a" * 64
check("create component", create_component.sync_detailed(
    client=c, body=CreateComponentRequest(name="api", image_repository="myorg/api")), 201)
mapped = check("create version map", create_version_map.sync_detailed(
    client=c, body=CreateVersionMapRequest(component_id="api", tag="v1.0.0", digest=digest)), 201)
assert mapped.semver == "1.0.0"
release = check("create release", create_release.sync_detailed(
    client=c, body=CreateReleaseRequest(name="rel-1", components=[MemberRequest(component_id="api")])), 201)
assert release.digest.startswith("sha256:")
fetched = check("get release", get_release.sync_detailed(client=c, id="rel-1"), 200)
assert fetched.components[0].digest == digest
problem = check("duplicate component", create_component.sync_detailed(
    client=c, body=CreateComponentRequest(name="api", image_repository="myorg/api")), 409)
assert problem.code == "name_exists"
versions = check("list versions", list_component_versions.sync_detailed(client=c, id="api", limit=5), 200)
assert [v.tag for v in versions] == ["v1.0.0"]
print("sdk-check: ok")
