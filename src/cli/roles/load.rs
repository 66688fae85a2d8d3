//! Reading role configurations in the forms operators keep them: a
//! `wrangler.toml` (the vars of its top level and of each `[env.NAME]`, where
//! `ROLES`, `AUTH_ISSUER`, `AUTH_AUDIENCE` and `OIDC_ALLOW_LOOPBACK_ISSUERS`
//! live), or a bare JSON file holding the `ROLES` array. Each is parsed by the
//! Worker's own `Roles::from_env`, so what is compared is what would be served.

use std::collections::BTreeMap;
use std::path::Path;

use oidc_data_proxy::sts::roles::{Role, Roles};
use serde_json::Value;

/// The name of wrangler.toml's top-level environment in reports.
pub const TOP_LEVEL: &str = "(top level)";
/// A configuration file is small text; anything larger is not one.
const MAX_FILE_BYTES: u64 = 4 << 20;

/// The variables this review reads; the rest of an environment is not trust.
const VARS: [&str; 4] = ["ROLES", "AUTH_ISSUER", "AUTH_AUDIENCE", "OIDC_ALLOW_LOOPBACK_ISSUERS"];

/// One environment's trust configuration, as the Worker would load it.
#[derive(Debug, Default)]
pub struct Trust {
    pub roles: BTreeMap<String, Role>,
    pub loopback_issuers: bool,
    /// What the Worker would log and leave out (a disabled role, unparseable ROLES...).
    pub warnings: Vec<String>,
}

impl Trust {
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Self {
        let (roles, warnings) = Roles::from_env(&|n| vars.get(n).cloned());
        Trust {
            roles: roles.active().map(|r| (r.name.clone(), r.clone())).collect(),
            loopback_issuers: vars
                .get("OIDC_ALLOW_LOOPBACK_ISSUERS")
                .is_some_and(|v| v.trim() == "true"),
            warnings,
        }
    }
}

/// Why a configuration file could not be read as one.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Io(String, #[source] std::io::Error),
    #[error("{0}: larger than {MAX_FILE_BYTES} bytes")]
    TooLarge(String),
    #[error("{0}: not UTF-8")]
    NotUtf8(String),
    #[error("{0}: not a JSON array of roles")]
    Json(String, #[source] serde_json::Error),
    #[error("{0}: not TOML")]
    Toml(String, #[source] toml::de::Error),
}

/// Environment name → its trust. An empty file is a configuration with no roles
/// (e.g. the base branch before the file existed).
pub fn load(path: &Path) -> Result<BTreeMap<String, Trust>, LoadError> {
    let shown = || path.display().to_string();
    let text = read(path)?;
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let is_json =
        path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) || text.trim_start().starts_with('[');
    if is_json {
        // A bare ROLES array: the roles alone, with an audience set so they are active.
        serde_json::from_str::<Vec<Value>>(&text).map_err(|e| LoadError::Json(shown(), e))?;
        let vars = BTreeMap::from([
            ("ROLES".to_string(), text),
            ("AUTH_AUDIENCE".to_string(), "-".to_string()),
        ]);
        let mut trust = Trust::from_vars(&vars);
        // `AUTH_AUDIENCE` above only switches the exchange on; without AUTH_ISSUER no `_default`.
        trust.roles.remove(oidc_data_proxy::sts::roles::DEFAULT_ROLE);
        return Ok(BTreeMap::from([(TOP_LEVEL.to_string(), trust)]));
    }
    let doc: toml::Table = text.parse().map_err(|e| LoadError::Toml(shown(), e))?;
    let mut out = BTreeMap::new();
    let mut warn_top = Vec::new();
    out.insert(TOP_LEVEL.to_string(), environment(doc.get("vars"), &mut warn_top));
    if let Some(envs) = doc.get("env").and_then(toml::Value::as_table) {
        for (name, env) in envs {
            let mut warnings = Vec::new();
            let mut t = environment(env.get("vars"), &mut warnings);
            t.warnings.splice(0..0, warnings);
            out.insert(name.clone(), t);
        }
    }
    if let Some(t) = out.get_mut(TOP_LEVEL) {
        t.warnings.splice(0..0, warn_top);
    }
    Ok(out)
}

/// wrangler does not inherit `vars` into environments: each stands alone.
fn environment(vars: Option<&toml::Value>, warnings: &mut Vec<String>) -> Trust {
    let mut out = BTreeMap::new();
    if let Some(table) = vars.and_then(toml::Value::as_table) {
        for name in VARS {
            match table.get(name) {
                Some(toml::Value::String(s)) => {
                    out.insert(name.to_string(), s.clone());
                }
                // The Worker reads vars as strings: anything else is not seen at all.
                Some(_) => warnings.push(format!("{name} is not a string: the Worker ignores it")),
                None => {}
            }
        }
    }
    Trust::from_vars(&out)
}

fn read(path: &Path) -> Result<String, LoadError> {
    use std::io::Read as _;
    let shown = || path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| LoadError::Io(shown(), e))?;
    let mut buf = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| LoadError::Io(shown(), e))?;
    if buf.len() as u64 > MAX_FILE_BYTES {
        return Err(LoadError::TooLarge(shown()));
    }
    String::from_utf8(buf).map_err(|_| LoadError::NotUtf8(shown()))
}
