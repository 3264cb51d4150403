//! A token endpoint for the registry's token auth: signs ES256 JWTs whose `x5c` header carries a
//! self-signed certificate that the registry trusts through `rootcertbundle`.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

use crate::registry::server::{Server, respond, serve};
use crate::registry::{PASSWORD, USERNAME};

/// The `service` the registry names in its challenge and the token's audience.
pub(crate) const SERVICE: &str = "relman-test-registry";
/// The token issuer the registry is configured to trust.
pub(crate) const ISSUER: &str = "relman-test-issuer";

/// Signs registry tokens.
pub(crate) struct TokenIssuer {
    key: EcdsaKeyPair,
    cert_der: Vec<u8>,
    rng: SystemRandom,
}

impl TokenIssuer {
    /// Makes a P-256 key and self-signed certificate with the `openssl` CLI in `dir`, and writes
    /// the certificate as `token-cert.pem` for the registry's `rootcertbundle`.
    pub(crate) fn create(dir: &Path) -> Self {
        let key_path = dir.join("token-key.pem");
        let cert_path = dir.join("token-cert.pem");
        let output = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
            ])
            .args([
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=relman-test-token-issuer",
            ])
            .arg("-keyout")
            .arg(&key_path)
            .arg("-out")
            .arg(&cert_path)
            .output()
            .unwrap_or_else(|e| panic!("run openssl (install it: apt-get install openssl): {e}"));
        assert!(
            output.status.success(),
            "openssl could not make the token signing certificate: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let key_der = pem_body(
            &std::fs::read_to_string(&key_path).expect("read token key"),
            "PRIVATE KEY",
        );
        let cert_der = pem_body(
            &std::fs::read_to_string(&cert_path).expect("read token cert"),
            "CERTIFICATE",
        );
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key_der, &rng)
            .expect("openssl wrote a PKCS#8 P-256 key");
        Self { key, cert_der, rng }
    }

    /// A token granting `actions` on `repository` (or nothing, for a registry-wide request).
    pub(crate) fn mint(
        &self,
        subject: &str,
        access: &[(String, Vec<String>)],
        ttl: Duration,
    ) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        let header = serde_json::json!({
            "typ": "JWT",
            "alg": "ES256",
            "x5c": [STANDARD.encode(&self.cert_der)],
        });
        let access: Vec<serde_json::Value> = access
            .iter()
            .map(|(name, actions)| {
                serde_json::json!({"type": "repository", "name": name, "actions": actions})
            })
            .collect();
        let claims = serde_json::json!({
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "exp": now + ttl.as_secs(),
            "nbf": now.saturating_sub(10),
            "iat": now,
            "jti": format!("{now}-{}", random_u64(&self.rng)),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .expect("ECDSA signing");
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }
}

fn random_u64(rng: &SystemRandom) -> u64 {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 8];
    rng.fill(&mut bytes).expect("system randomness");
    u64::from_le_bytes(bytes)
}

/// The DER inside the first PEM block labelled `label`.
fn pem_body(pem: &str, label: &str) -> Vec<u8> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem
        .find(&begin)
        .unwrap_or_else(|| panic!("no {label} PEM block"))
        + begin.len();
    let stop = pem[start..].find(&end).expect("unterminated PEM block") + start;
    let b64: String = pem[start..stop].split_whitespace().collect();
    STANDARD.decode(b64).expect("PEM body is base64")
}

/// One request the token endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The `scope` parameters, in order (empty for a registry-wide token).
    pub scopes: Vec<String>,
    /// The `account` parameter, if any.
    pub account: Option<String>,
    /// The HTTP status answered (200, or 401 for missing or wrong credentials).
    pub status: u16,
}

/// The token endpoint, running in-process. It requires the test credentials
/// ([`USERNAME`]/[`PASSWORD`]) as basic auth and grants whatever actions are asked for.
pub(crate) struct TokenServer {
    pub(crate) issuer: Arc<TokenIssuer>,
    log: Arc<Mutex<Vec<TokenRequest>>>,
    server: Server,
}

impl TokenServer {
    pub(crate) async fn start(issuer: Arc<TokenIssuer>) -> Self {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (handler_issuer, handler_log) = (issuer.clone(), log.clone());
        let server = serve(move |request: hyper::Request<hyper::body::Incoming>| {
            let answer = answer(&handler_issuer, &request);
            handler_log.lock().expect("token log").push(answer.0);
            let response = answer.1;
            async move { response }
        })
        .await;
        Self {
            issuer,
            log,
            server,
        }
    }

    /// The realm URL the registry sends clients to.
    pub(crate) fn realm(&self) -> String {
        format!("http://{}/token", self.server.addr)
    }

    pub(crate) fn requests(&self) -> Vec<TokenRequest> {
        self.log.lock().expect("token log").clone()
    }
}

fn answer(
    issuer: &TokenIssuer,
    request: &hyper::Request<hyper::body::Incoming>,
) -> (
    TokenRequest,
    hyper::Response<http_body_util::Full<bytes::Bytes>>,
) {
    let mut scopes = Vec::new();
    let mut account = None;
    for (key, value) in url_query(request.uri().query().unwrap_or_default()) {
        match key.as_str() {
            "scope" => scopes.push(value),
            "account" => account = Some(value),
            _ => {}
        }
    }
    let expected = format!(
        "Basic {}",
        STANDARD.encode(format!("{USERNAME}:{PASSWORD}"))
    );
    let authorized = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected);
    if !authorized {
        let body =
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password"}]}"#;
        return (
            TokenRequest {
                scopes,
                account,
                status: 401,
            },
            respond(401, "application/json", body),
        );
    }
    let mut granted: HashMap<String, Vec<String>> = HashMap::new();
    for scope in &scopes {
        // repository:<name>:<actions>; the name may itself hold ':' only for a port, never here.
        let mut parts = scope.splitn(3, ':');
        if let (Some("repository"), Some(name), Some(actions)) =
            (parts.next(), parts.next(), parts.next())
        {
            granted
                .entry(name.to_owned())
                .or_default()
                .extend(actions.split(',').map(str::to_owned));
        }
    }
    let access: Vec<(String, Vec<String>)> = granted.into_iter().collect();
    let token = issuer.mint(USERNAME, &access, Duration::from_secs(300));
    let body = serde_json::json!({"token": token, "access_token": token, "expires_in": 300});
    (
        TokenRequest {
            scopes,
            account,
            status: 200,
        },
        respond(200, "application/json", body.to_string()),
    )
}

/// Decodes `a=b&c=d` (form encoding, as query strings are written).
pub(crate) fn url_query(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
