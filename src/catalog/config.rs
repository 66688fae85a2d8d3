//! Choosing and configuring the catalog: `CATALOG_URL` selects the
//! HTTP catalog, otherwise `STATIC_CATALOG` or the embedded default is used.
//! A bad value disables the catalog (reads answer 503) and says why, once.

use std::collections::HashMap;

use serde_json::Value;

use super::http::client::{CatalogUrlError, TIMEOUT_MS};
use super::http::HttpCatalog;
use super::StaticCatalogError;
use super::{Catalog, StaticCatalog};
use crate::error::chain;
use crate::json::{self, Obj};
use crate::sigv4::Credentials;

/// Bounds of `CATALOG_TIMEOUT_MS`.
const TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 100..=30_000;

/// Why there is no catalog (reads answer 503; logged once).
#[derive(thiserror::Error)]
pub enum CatalogConfigError {
    #[error("CATALOG_URL")]
    Url(#[from] CatalogUrlError),
    #[error("CATALOG_URL: the HTTP catalog needs the OIDC provider (OIDC_PROVIDER_ISSUER/KID/KEY)")]
    NoProvider,
    #[error("CATALOG_URL")]
    ConnectionKeys(#[from] ConnectionKeysError),
    /// `origin`: `STATIC_CATALOG` or the embedded default.
    #[error("{origin}")]
    Static {
        origin: &'static str,
        #[source]
        source: StaticCatalogError,
    },
}

crate::error::debug_as_display!(CatalogConfigError);

/// Why `CATALOG_CONNECTION_KEYS` is refused. Names connections, never a key;
/// serde's error is not kept, as its message can quote the input.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionKeysError {
    /// Not JSON.
    #[error(
        "CATALOG_CONNECTION_KEYS is not {{\"<connection>\": {{\"access_key_id\", \"secret_access_key\"}}}} (line {line}, column {column})"
    )]
    Shape { line: usize, column: usize },
    /// JSON of another shape, or a repeated key: the path of the field (connection ids
    /// and the known field names, never a value or another key).
    #[error("CATALOG_CONNECTION_KEYS: {0}")]
    Field(String),
    #[error("CATALOG_CONNECTION_KEYS: connection {0:?} has an empty id or key")]
    Empty(String),
}

crate::error::debug_as_display!(ConnectionKeysError);

/// What the catalog needs from the rest of the configuration.
pub struct Needs {
    /// `OIDC_ALLOW_LOOPBACK_ISSUERS`: http:// allowed for a loopback catalog.
    pub allow_loopback_http: bool,
    /// The OIDC provider is configured (calls carry tokens it mints).
    pub provider: bool,
}

pub fn from_env(
    env: &dyn Fn(&str) -> Option<String>,
    needs: &Needs,
    warnings: &mut Vec<String>,
) -> Result<Catalog, CatalogConfigError> {
    let set = |n: &str| env(n).filter(|v| !v.trim().is_empty());
    let result = match set("CATALOG_URL") {
        Some(url) => {
            if set("STATIC_CATALOG").is_some() {
                warnings.push("STATIC_CATALOG is ignored: CATALOG_URL selects the HTTP catalog".into());
            }
            http_catalog(&url, &set, needs, warnings).map(|c| Catalog::Http(Box::new(c)))
        }
        None => {
            let (json, source) = match set("STATIC_CATALOG") {
                Some(j) => (j, "STATIC_CATALOG"),
                None => (super::static_catalog_default().to_string(), "embedded default catalog"),
            };
            let c = StaticCatalog::parse_with(&json, env, needs).map_err(|e| CatalogConfigError::Static {
                origin: source,
                source: e,
            });
            if let Ok(c) = &c {
                for (name, why) in c.unavailable_backends() {
                    warnings.push(format!("backend {name} disabled: {why}"));
                }
            }
            c.map(Catalog::Static)
        }
    };
    if let Err(e) = &result {
        warnings.push(format!("catalog disabled: {}", chain(e)));
    }
    result
}

fn http_catalog(
    url: &str,
    set: &dyn Fn(&str) -> Option<String>,
    needs: &Needs,
    warnings: &mut Vec<String>,
) -> Result<HttpCatalog, CatalogConfigError> {
    let mut c = HttpCatalog::new(url, needs.allow_loopback_http)?;
    if !needs.provider {
        // Every call carries a token the provider mints: no provider, no catalog.
        return Err(CatalogConfigError::NoProvider);
    }
    if let Some(aud) = set("CATALOG_AUDIENCE") {
        c = c.with_audience(aud.trim());
    }
    let timeout = match set("CATALOG_TIMEOUT_MS") {
        None => TIMEOUT_MS,
        Some(v) => match v.trim().parse::<u32>() {
            Ok(ms) if TIMEOUT_RANGE.contains(&ms) => ms,
            _ => {
                warnings.push(format!(
                    "CATALOG_TIMEOUT_MS {v:?} is not a number of milliseconds in {}..={}; using {TIMEOUT_MS}",
                    TIMEOUT_RANGE.start(),
                    TIMEOUT_RANGE.end()
                ));
                TIMEOUT_MS
            }
        },
    };
    let caching = match set("CATALOG_CACHE").map(|v| v.trim().to_ascii_lowercase()) {
        None => true,
        Some(v) if v == "on" || v == "true" => true,
        Some(v) if v == "off" || v == "false" => false,
        Some(v) => {
            warnings.push(format!("CATALOG_CACHE {v:?} is not on|off; caching stays on"));
            true
        }
    };
    let keys = match set("CATALOG_CONNECTION_KEYS") {
        None => HashMap::new(),
        // A broken secret fails closed: reading without the keys could expose nothing
        // (restricted products need them) but would hide the mistake.
        Some(json) => connection_keys(&json)?,
    };
    Ok(c.with_timeout_ms(timeout)
        .with_caching(caching)
        .with_connection_keys(keys))
}

struct KeyDoc {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

/// Read by hand (src/json.rs): unknown fields are refused.
fn key_doc(v: Value) -> json::Result<KeyDoc> {
    let mut o = Obj::new(v)?;
    let d = KeyDoc {
        access_key_id: o.req_str("access_key_id")?,
        secret_access_key: o.req_str("secret_access_key")?,
        session_token: o.opt_str("session_token")?,
    };
    o.end()?;
    Ok(d)
}

/// `CATALOG_CONNECTION_KEYS`: `{"<connection id>": {"access_key_id", "secret_access_key"}}`.
/// Error messages name connections, never a key.
pub fn connection_keys(json: &str) -> Result<HashMap<String, Credentials>, ConnectionKeysError> {
    // Only connection ids and the three field names are ever shown: another key could be a
    // secret pasted in the wrong place (so a repeated or unknown key is not named).
    let docs = json::read(json.as_bytes(), |v| json::map(v, key_doc)).map_err(|e| match e {
        json::Error::Syntax(_) if e.is_repeated_key() => {
            let (line, column) = e.position().unwrap_or_default();
            ConnectionKeysError::Field(format!("a key is repeated (line {line}, column {column})"))
        }
        json::Error::Syntax(s) => ConnectionKeysError::Shape {
            line: s.line(),
            column: s.column(),
        },
        json::Error::Field(f) if f.problem() == json::UNKNOWN_FIELD => ConnectionKeysError::Field(format!(
            "{}: a field other than access_key_id, secret_access_key, session_token",
            f.without_key().path()
        )),
        json::Error::Field(f) => ConnectionKeysError::Field(f.to_string()),
    })?;
    docs.into_iter()
        .map(|(id, d)| {
            if id.is_empty() || d.access_key_id.trim().is_empty() || d.secret_access_key.is_empty() {
                return Err(ConnectionKeysError::Empty(id));
            }
            let creds = Credentials {
                access_key_id: d.access_key_id.trim().to_string(),
                secret_access_key: d.secret_access_key.into(),
                session_token: d.session_token.filter(|t| !t.is_empty()).map(Into::into),
            };
            Ok((id, creds))
        })
        .collect()
}

#[cfg(test)]
mod tests;
