//! Keeps the layering of docs/ARCHITECTURE.md true: which crate may depend on what.

use std::path::Path;

/// (crate, dependencies it must never have).
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "crates/relman-domain",
        &[
            "serde",
            "serde_json",
            "diesel",
            "actix-web",
            "utoipa",
            "reqwest",
            "tokio",
            "relman-storage",
            "relman-http",
            "prometheus-client",
        ],
    ),
    (
        "crates/relman-storage",
        &[
            "actix-web",
            "utoipa",
            "reqwest",
            "relman-registry",
            "relman-service",
            "relman-http",
            "prometheus-client",
        ],
    ),
    (
        "crates/relman-registry",
        &[
            "diesel",
            "actix-web",
            "utoipa",
            "relman-storage",
            "relman-service",
            "relman-http",
            "prometheus-client",
        ],
    ),
    (
        "crates/relman-service",
        &[
            "actix-web",
            "utoipa",
            "diesel",
            "reqwest",
            "relman-http",
            "prometheus-client",
        ],
    ),
    (
        "crates/relman-http",
        &["diesel", "reqwest", "relman-storage", "relman-registry"],
    ),
    (
        "crates/relman-egress",
        &[
            "diesel",
            "actix-web",
            "utoipa",
            "relman-domain",
            "relman-storage",
            "relman-registry",
            "relman-service",
            "relman-http",
            "prometheus-client",
        ],
    ),
    (
        "crates/relman-webhooks",
        &[
            "diesel",
            "actix-web",
            "utoipa",
            "relman-service",
            "relman-http",
            "prometheus-client",
        ],
    ),
    (
        "crates/relman-tuf",
        &[
            "diesel",
            "actix-web",
            "utoipa",
            "reqwest",
            "tokio",
            "relman-storage",
            "relman-service",
            "relman-http",
            "prometheus-client",
        ],
    ),
    (
        "crates/relman-attest",
        &[
            "diesel",
            "actix-web",
            "utoipa",
            "reqwest",
            "tokio",
            "relman-storage",
            "relman-service",
            "relman-http",
            "prometheus-client",
        ],
    ),
];

fn normal_dependencies(manifest: &str) -> Vec<String> {
    let doc: toml::Table = toml::from_str(manifest).unwrap();
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn layers_depend_only_downward() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (krate, forbidden) in FORBIDDEN {
        let manifest = std::fs::read_to_string(root.join(krate).join("Cargo.toml")).unwrap();
        let deps = normal_dependencies(&manifest);
        for f in *forbidden {
            assert!(
                !deps.iter().any(|d| d == f),
                "{krate} must not depend on {f}"
            );
        }
    }
}

#[test]
fn every_crate_uses_workspace_lints_and_is_unpublished() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for dir in ["crates", "bins"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let manifest = std::fs::read_to_string(path.join("Cargo.toml")).unwrap();
            let doc: toml::Table = toml::from_str(&manifest).unwrap();
            let name = doc["package"]["name"].as_str().unwrap();
            assert_eq!(
                Some(name),
                path.file_name().and_then(|n| n.to_str()),
                "folder name = package name"
            );
            assert_eq!(
                doc["lints"]["workspace"].as_bool(),
                Some(true),
                "{name} uses workspace lints"
            );
            assert!(
                doc["package"].get("publish").is_some(),
                "{name} declares publish"
            );
        }
    }
}
