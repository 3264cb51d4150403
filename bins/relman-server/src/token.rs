//! The admin token: from the environment, or generated once and kept in the data folder.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use relman_storage::SecretKey;

/// Where a token or key came from, for the start-up log (never the value itself).
pub enum TokenSource {
    /// `RELMAN_ADMIN_TOKEN`.
    Environment,
    /// An existing token file.
    File(PathBuf),
    /// A new token written to this file.
    Generated(PathBuf),
}

/// The admin token to accept, and where it came from.
pub fn admin_token(
    configured: Option<&str>,
    data_dir: &Path,
) -> anyhow::Result<(String, TokenSource)> {
    if let Some(token) = configured {
        return Ok((token.to_owned(), TokenSource::Environment));
    }
    let path = data_dir.join("admin-token");
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => {
            return Ok((text.trim().to_owned(), TokenSource::File(path)));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness for the admin token: {e}"))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, &token).with_context(|| format!("writing {}", path.display()))?;
    Ok((token, TokenSource::Generated(path)))
}

/// The key that encrypts stored secrets: `RELMAN_SECRET_KEY` (64 hex digits) when given — replicas
/// sharing one PostgreSQL database must all be given the same — otherwise `<data-dir>/secret-key`,
/// generated (mode 0600) on first start.
pub fn secret_key(
    configured: Option<&str>,
    data_dir: &Path,
) -> anyhow::Result<(SecretKey, TokenSource)> {
    if let Some(text) = configured {
        let key = SecretKey::from_hex(text)
            .ok_or_else(|| anyhow::anyhow!("RELMAN_SECRET_KEY must be 64 hex digits"))?;
        return Ok((key, TokenSource::Environment));
    }
    let path = data_dir.join("secret-key");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = SecretKey::from_hex(&text)
                .ok_or_else(|| anyhow::anyhow!("{} must hold 64 hex digits", path.display()))?;
            return Ok((key, TokenSource::File(path)));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let key = SecretKey::generate()?;
    write_private(&path, &key.to_hex()).with_context(|| format!("writing {}", path.display()))?;
    Ok((key, TokenSource::Generated(path)))
}

/// Writes a file only its owner can read (mode 0600 from creation, never briefly wider).
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_then_reused_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let (first, src) = admin_token(None, dir.path()).unwrap();
        assert!(matches!(src, TokenSource::Generated(_)));
        assert_eq!(first.len(), 64);
        let (again, src) = admin_token(None, dir.path()).unwrap();
        assert!(matches!(src, TokenSource::File(_)));
        assert_eq!(again, first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("admin-token"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (env, src) = admin_token(Some("given"), dir.path()).unwrap();
        assert!(matches!(src, TokenSource::Environment));
        assert_eq!(env, "given");
    }
}
