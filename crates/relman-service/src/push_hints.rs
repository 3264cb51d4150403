//! Registry push notifications, read as hints: which tags of which repositories were pushed.
//! Four senders are understood (docs/WEBHOOKS.md): CNCF distribution, Harbor, GitHub's
//! `registry_package` and Docker Hub. Nothing here is trusted beyond naming a tag to look at.

use relman_domain::ValidationError;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// One pushed tag to re-resolve.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PushHint {
    /// The repository path inside the registry, lowercase, e.g. `myorg/api`.
    pub repository: String,
    /// The tag.
    pub tag: String,
}

/// What a notification body holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParsedPush {
    /// Pushed tags, without duplicates.
    pub hints: Vec<PushHint>,
    /// Events that name no pushed tag (pulls, pushes by digest, deletions).
    pub ignored: usize,
}

fn hint(repository: &str, tag: &str) -> Option<PushHint> {
    let repository = repository.trim().trim_matches('/').to_ascii_lowercase();
    let tag = tag.trim();
    (!repository.is_empty() && !tag.is_empty()).then(|| PushHint {
        repository,
        tag: tag.to_owned(),
    })
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// CNCF distribution: `{"events": [{"action": "push", "target": {"repository", "tag"}}]}`.
fn distribution(events: &[Value], out: &mut ParsedPush) {
    for e in events {
        let pushed = text(e, &["action"]) == Some("push");
        let h = text(e, &["target", "repository"])
            .zip(text(e, &["target", "tag"]))
            .and_then(|(r, t)| hint(r, t));
        match h {
            Some(h) if pushed => out.hints.push(h),
            _ => out.ignored += 1,
        }
    }
}

/// Harbor: `{"type": "PUSH_ARTIFACT", "event_data": {"repository": {"repo_full_name"},
/// "resources": [{"tag"}]}}`.
fn harbor(body: &Value, out: &mut ParsedPush) {
    let resources = body
        .pointer("/event_data/resources")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let repository = text(body, &["event_data", "repository", "repo_full_name"]);
    if text(body, &["type"]) != Some("PUSH_ARTIFACT") {
        out.ignored += resources.len().max(1);
        return;
    }
    for r in resources {
        match repository
            .zip(text(r, &["tag"]))
            .and_then(|(repo, t)| hint(repo, t))
        {
            Some(h) => out.hints.push(h),
            None => out.ignored += 1,
        }
    }
}

/// GitHub `registry_package`: `{"action": "published", "registry_package": {"namespace",
/// "name", "package_version": {"container_metadata": {"tag": {"name"}}}}}`.
fn github(body: &Value, out: &mut ParsedPush) {
    let package = &body["registry_package"];
    let repository = match (text(package, &["namespace"]), text(package, &["name"])) {
        (Some(owner), Some(name)) => Some(format!("{owner}/{name}")),
        _ => text(package, &["owner", "login"])
            .zip(text(package, &["name"]))
            .map(|(o, n)| format!("{o}/{n}")),
    };
    let tag = text(
        package,
        &["package_version", "container_metadata", "tag", "name"],
    );
    let published = text(body, &["action"]).is_some_and(|a| a == "published" || a == "updated");
    match repository.as_deref().zip(tag).and_then(|(r, t)| hint(r, t)) {
        Some(h) if published => out.hints.push(h),
        _ => out.ignored += 1,
    }
}

/// Docker Hub: `{"push_data": {"tag"}, "repository": {"repo_name"}}`.
fn docker_hub(body: &Value, out: &mut ParsedPush) {
    match text(body, &["repository", "repo_name"])
        .zip(text(body, &["push_data", "tag"]))
        .and_then(|(r, t)| hint(r, t))
    {
        Some(h) => out.hints.push(h),
        None => out.ignored += 1,
    }
}

/// Reads a notification body of any of the four senders. A body none of them would send is a
/// validation error naming what was expected.
pub fn parse_push(body: &[u8]) -> Result<ParsedPush, ValidationError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ValidationError::field("body", format!("is not JSON: {e}")))?;
    let mut out = ParsedPush::default();
    if let Some(events) = value.get("events").and_then(Value::as_array) {
        distribution(events, &mut out);
    } else if value.get("event_data").is_some() && value.get("type").is_some() {
        harbor(&value, &mut out);
    } else if value.get("registry_package").is_some() {
        github(&value, &mut out);
    } else if value.get("push_data").is_some() {
        docker_hub(&value, &mut out);
    } else {
        return Err(ValidationError::field(
            "body",
            "is not a push notification relman knows: expected a distribution `events` \
             envelope, a Harbor event, a GitHub `registry_package` event or a Docker Hub push",
        ));
    }
    out.hints.sort();
    out.hints.dedup();
    Ok(out)
}

/// How a notification says it comes from the registry: whatever the request carried.
#[derive(Debug, Default, Clone, Copy)]
pub struct PushAuth<'a> {
    /// `Authorization: Bearer <secret>` (distribution, Harbor).
    pub bearer: Option<&'a str>,
    /// `X-Hub-Signature-256: sha256=<hex>` over the body (GitHub).
    pub hub_signature: Option<&'a str>,
    /// `?secret=` in the URL (Docker Hub, which signs nothing).
    pub query_secret: Option<&'a str>,
}

/// Equal without telling how much matched: compares digests, whose length is fixed.
fn same(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// Whether `auth` proves knowledge of `secret` for `body`.
pub fn authentic(secret: &str, auth: &PushAuth<'_>, body: &[u8]) -> bool {
    if let Some(signature) = auth.hub_signature {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
        let Some(hex) = signature.trim().strip_prefix("sha256=") else {
            return false;
        };
        let Some(tag) = decode_hex(hex) else {
            return false;
        };
        return ring::hmac::verify(&key, body, &tag).is_ok();
    }
    [auth.bearer, auth.query_secret]
        .into_iter()
        .flatten()
        .any(|given| same(given, secret))
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(body: &str) -> Vec<(String, String)> {
        parse_push(body.as_bytes())
            .unwrap()
            .hints
            .into_iter()
            .map(|h| (h.repository, h.tag))
            .collect()
    }

    #[test]
    fn distribution_pushes_with_a_tag_are_hints_and_pulls_are_not() {
        let body = r#"{"events": [
          {"id": "1", "action": "push", "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": "sha256:aa", "repository": "myorg/api", "tag": "v1.2.0"}, "request": {"host": "r:5000"}},
          {"id": "2", "action": "push", "target": {"repository": "myorg/api", "digest": "sha256:bb"}},
          {"id": "3", "action": "pull", "target": {"repository": "myorg/api", "tag": "v1.1.0"}},
          {"id": "4", "action": "push", "target": {"repository": "myorg/api", "tag": "v1.2.0"}}
        ]}"#;
        assert_eq!(hints(body), vec![("myorg/api".into(), "v1.2.0".into())]);
        assert_eq!(parse_push(body.as_bytes()).unwrap().ignored, 2);
    }

    #[test]
    fn harbor_github_and_docker_hub_bodies_name_their_tags() {
        let harbor = r#"{"type": "PUSH_ARTIFACT", "occur_at": 1700000000, "operator": "ci",
          "event_data": {"resources": [{"digest": "sha256:aa", "tag": "v2.0.0",
          "resource_url": "harbor.example/library/app:v2.0.0"}],
          "repository": {"name": "app", "namespace": "library", "repo_full_name": "library/app", "repo_type": "private"}}}"#;
        assert_eq!(hints(harbor), vec![("library/app".into(), "v2.0.0".into())]);
        let deleted = harbor.replace("PUSH_ARTIFACT", "DELETE_ARTIFACT");
        assert!(hints(&deleted).is_empty());
        let github = r#"{"action": "published", "registry_package": {"name": "API", "namespace": "MyOrg",
          "package_type": "CONTAINER", "package_version": {"version": "sha256:aa",
          "container_metadata": {"tag": {"name": "v3.1.0", "digest": "sha256:aa"}}}}}"#;
        assert_eq!(hints(github), vec![("myorg/api".into(), "v3.1.0".into())]);
        let hub = r#"{"callback_url": "https://registry.hub.docker.com/u/me/app/hook/x/",
          "push_data": {"pushed_at": 1700000000, "pusher": "me", "tag": "latest"},
          "repository": {"repo_name": "me/app", "name": "app", "namespace": "me"}}"#;
        assert_eq!(hints(hub), vec![("me/app".into(), "latest".into())]);
    }

    #[test]
    fn other_bodies_are_refused() {
        assert!(parse_push(b"not json").is_err());
        assert!(parse_push(br#"{"hello": "world"}"#).is_err());
        assert_eq!(
            parse_push(br#"{"events": []}"#).unwrap(),
            ParsedPush::default()
        );
    }

    #[test]
    fn each_way_of_proving_the_secret_is_checked() {
        let body = br#"{"events": []}"#;
        let bearer = PushAuth {
            bearer: Some("s3cret"),
            ..PushAuth::default()
        };
        assert!(authentic("s3cret", &bearer, body));
        assert!(!authentic("other", &bearer, body));
        assert!(!authentic("s3cret", &PushAuth::default(), body));
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"s3cret");
        let tag = ring::hmac::sign(&key, body);
        let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        let signed = format!("sha256={hex}");
        let hub = PushAuth {
            hub_signature: Some(&signed),
            ..PushAuth::default()
        };
        assert!(authentic("s3cret", &hub, body));
        assert!(
            !authentic("s3cret", &hub, b"{}"),
            "the signature covers the body"
        );
        assert!(!authentic("other", &hub, body));
        let query = PushAuth {
            query_secret: Some("s3cret"),
            ..PushAuth::default()
        };
        assert!(authentic("s3cret", &query, body));
    }
}
