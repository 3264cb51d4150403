//! Where the CLI finds its server and token: flags, then `RELMAN_SERVER` / `RELMAN_TOKEN`, then
//! the config file `relman login` writes (mode 0600, in the user's config folder).

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::exit::Failure;

/// The saved login.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Saved {
    /// The server's base URL.
    pub server: Option<String>,
    /// The bearer token.
    pub token: Option<String>,
}

/// `RELMAN_CONFIG`, else `$XDG_CONFIG_HOME/relman/config.toml`, else
/// `$HOME/.config/relman/config.toml`.
pub fn path() -> Result<PathBuf, Failure> {
    if let Some(p) = std::env::var_os("RELMAN_CONFIG") {
        return Ok(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .ok_or_else(|| Failure::usage("error: no config folder: set HOME or RELMAN_CONFIG"))?;
    Ok(base.join("relman").join("config.toml"))
}

/// The saved login, or an empty one when there is none.
pub fn load() -> Result<Saved, Failure> {
    let path = path()?;
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .map_err(|e| Failure::usage(format!("error: {}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Saved::default()),
        Err(e) => Err(Failure::failed(format!("error: {}: {e}", path.display()))),
    }
}

/// Saves the login, readable by the user only, replacing the old file atomically.
pub fn save(saved: &Saved) -> Result<PathBuf, Failure> {
    let path = path()?;
    let dir = path
        .parent()
        .ok_or_else(|| Failure::usage("error: the config path has no folder"))?;
    std::fs::create_dir_all(dir)?;
    let text = toml::to_string(saved).map_err(|e| Failure::failed(format!("error: {e}")))?;
    let tmp = path.with_extension("toml.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}
