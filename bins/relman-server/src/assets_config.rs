//! Where release asset bytes are kept: `[assets]` in the TOML file, `RELMAN_ASSETS_*` in the
//! environment. The filesystem under the data folder by default; an S3-compatible bucket for
//! replicas that share one (credentials from the standard `AWS_*` variables or the instance).

use std::path::{Path, PathBuf};

use anyhow::bail;
use relman_objects::{ObjectsConfig, S3Config};
use relman_service::DEFAULT_MAX_ASSET_BYTES;
use serde::Deserialize;

/// Which store holds asset bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetsBackend {
    /// A folder (default `<data_dir>/assets`).
    Filesystem,
    /// An S3-compatible bucket.
    S3,
}

/// The resolved asset settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetsConfig {
    /// The store.
    pub backend: AssetsBackend,
    /// The folder of the filesystem store; `None` is `<data_dir>/assets`.
    pub path: Option<PathBuf>,
    /// The largest upload accepted, in bytes.
    pub max_bytes: u64,
    /// The S3 bucket.
    pub s3_bucket: Option<String>,
    /// The S3 endpoint; `None` for AWS.
    pub s3_endpoint: Option<String>,
    /// The S3 region.
    pub s3_region: String,
    /// A key prefix in the bucket.
    pub s3_prefix: Option<String>,
    /// Allow a plain-HTTP endpoint.
    pub s3_allow_http: bool,
}

impl Default for AssetsConfig {
    fn default() -> Self {
        Self {
            backend: AssetsBackend::Filesystem,
            path: None,
            max_bytes: DEFAULT_MAX_ASSET_BYTES,
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_prefix: None,
            s3_allow_http: false,
        }
    }
}

/// `[assets]` in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetsFile {
    backend: Option<AssetsBackend>,
    path: Option<PathBuf>,
    max_bytes: Option<u64>,
    s3: Option<S3File>,
}

/// `[assets.s3]` in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct S3File {
    bucket: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
    prefix: Option<String>,
    allow_http: Option<bool>,
}

/// The environment variables read here.
pub const ENV_KEYS: &[&str] = &[
    "RELMAN_ASSETS_BACKEND",
    "RELMAN_ASSETS_PATH",
    "RELMAN_ASSETS_MAX_BYTES",
    "RELMAN_ASSETS_S3_BUCKET",
    "RELMAN_ASSETS_S3_ENDPOINT",
    "RELMAN_ASSETS_S3_REGION",
    "RELMAN_ASSETS_S3_PREFIX",
    "RELMAN_ASSETS_S3_ALLOW_HTTP",
];

impl AssetsConfig {
    /// Applies `[assets]` from the file.
    pub fn apply_file(&mut self, f: &AssetsFile) {
        if let Some(v) = f.backend {
            self.backend = v;
        }
        if let Some(v) = &f.path {
            self.path = Some(v.clone());
        }
        if let Some(v) = f.max_bytes {
            self.max_bytes = v;
        }
        if let Some(s3) = &f.s3 {
            self.s3_bucket = s3.bucket.clone().or(self.s3_bucket.take());
            self.s3_endpoint = s3.endpoint.clone().or(self.s3_endpoint.take());
            if let Some(v) = &s3.region {
                self.s3_region.clone_from(v);
            }
            self.s3_prefix = s3.prefix.clone().or(self.s3_prefix.take());
            if let Some(v) = s3.allow_http {
                self.s3_allow_http = v;
            }
        }
    }

    /// Applies `RELMAN_ASSETS_*`; `var` reads one variable.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = var("RELMAN_ASSETS_BACKEND") {
            self.backend = match v.as_str() {
                "filesystem" => AssetsBackend::Filesystem,
                "s3" => AssetsBackend::S3,
                _ => bail!("RELMAN_ASSETS_BACKEND: '{v}' is neither 'filesystem' nor 's3'"),
            };
        }
        if let Some(v) = var("RELMAN_ASSETS_PATH") {
            self.path = Some(PathBuf::from(v));
        }
        if let Some(v) = var("RELMAN_ASSETS_MAX_BYTES") {
            self.max_bytes = v
                .parse()
                .map_err(|_| anyhow::anyhow!("RELMAN_ASSETS_MAX_BYTES: '{v}' is not a number"))?;
        }
        for (key, field) in [
            ("RELMAN_ASSETS_S3_BUCKET", &mut self.s3_bucket),
            ("RELMAN_ASSETS_S3_ENDPOINT", &mut self.s3_endpoint),
            ("RELMAN_ASSETS_S3_PREFIX", &mut self.s3_prefix),
        ] {
            if let Some(v) = var(key) {
                *field = Some(v);
            }
        }
        if let Some(v) = var("RELMAN_ASSETS_S3_REGION") {
            self.s3_region = v;
        }
        if let Some(v) = var("RELMAN_ASSETS_S3_ALLOW_HTTP") {
            self.s3_allow_http = match v.as_str() {
                "true" => true,
                "false" => false,
                _ => bail!("RELMAN_ASSETS_S3_ALLOW_HTTP: '{v}' is neither 'true' nor 'false'"),
            };
        }
        Ok(())
    }

    /// The store to open, given the data folder.
    pub fn objects(&self, data_dir: &Path) -> anyhow::Result<ObjectsConfig> {
        Ok(match self.backend {
            AssetsBackend::Filesystem => ObjectsConfig::Filesystem {
                root: self.path.clone().unwrap_or_else(|| data_dir.join("assets")),
            },
            AssetsBackend::S3 => {
                let Some(bucket) = &self.s3_bucket else {
                    bail!(
                        "assets: the s3 backend needs a bucket (assets.s3.bucket or RELMAN_ASSETS_S3_BUCKET)"
                    );
                };
                ObjectsConfig::S3(S3Config {
                    endpoint: self.s3_endpoint.clone(),
                    region: self.s3_region.clone(),
                    prefix: self.s3_prefix.clone(),
                    allow_http: self.s3_allow_http,
                    ..S3Config::new(bucket.clone())
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() {
        let file: AssetsFile = toml::from_str(
            "backend = \"s3\"\nmax_bytes = 1000\n[s3]\nbucket = \"b\"\nendpoint = \"http://127.0.0.1:9000\"\nallow_http = true\n",
        )
        .unwrap();
        let mut c = AssetsConfig::default();
        c.apply_file(&file);
        c.apply_env(|k| (k == "RELMAN_ASSETS_S3_PREFIX").then(|| "relman/".to_owned()))
            .unwrap();
        let ObjectsConfig::S3(s3) = c.objects(Path::new("/data")).unwrap() else {
            panic!("not s3");
        };
        assert_eq!(
            (
                s3.bucket.as_str(),
                s3.endpoint.as_deref(),
                s3.allow_http,
                s3.prefix.as_deref()
            ),
            ("b", Some("http://127.0.0.1:9000"), true, Some("relman/"))
        );
        assert_eq!(c.max_bytes, 1000);
        assert!(
            c.apply_env(|k| (k == "RELMAN_ASSETS_BACKEND").then(|| "ftp".into()))
                .is_err()
        );
        assert!(toml::from_str::<AssetsFile>("bogus = 1").is_err());
    }

    #[test]
    fn filesystem_by_default_under_the_data_folder() {
        let c = AssetsConfig::default();
        assert_eq!(
            c.objects(Path::new("/data")).unwrap(),
            ObjectsConfig::Filesystem {
                root: PathBuf::from("/data/assets")
            }
        );
        let s3_without_bucket = AssetsConfig {
            backend: AssetsBackend::S3,
            ..AssetsConfig::default()
        };
        assert!(s3_without_bucket.objects(Path::new("/data")).is_err());
    }
}
