//! Choosing and configuring the catalog: `CATALOG_URL` selects the
//! HTTP catalog, otherwise `STATIC_CATALOG` or the embedded default is used.
//! A bad value disables the catalog (reads answer 503) and says why, once.

use std::collections::HashMap;

use serde::Deserialize;

use super::http::client::{CatalogUrlError, TIMEOUT_MS};
use super::http::HttpCatalog;
use super::StaticCatalogError;
use super::{Catalog, StaticCatalog};
use crate::error::chain;
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
    #[error(
        "CATALOG_CONNECTION_KEYS is not {{\"<connection>\": {{\"access_key_id\", \"secret_access_key\"}}}} (line {line}, column {column})"
    )]
    Shape { line: usize, column: usize },
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyDoc {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default)]
    session_token: Option<String>,
}

/// `CATALOG_CONNECTION_KEYS`: `{"<connection id>": {"access_key_id", "secret_access_key"}}`.
/// Error messages name connections, never a key.
pub fn connection_keys(json: &str) -> Result<HashMap<String, Credentials>, ConnectionKeysError> {
    let docs: HashMap<String, KeyDoc> = serde_json::from_str(json).map_err(|e| ConnectionKeysError::Shape {
        line: e.line(),
        column: e.column(),
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
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)], provider: bool) -> (Result<Catalog, String>, Vec<String>) {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let env = move |n: &str| vars.get(n).cloned();
        let mut w = Vec::new();
        let needs = Needs {
            allow_loopback_http: true,
            provider,
        };
        (from_env(&env, &needs, &mut w).map_err(|e| chain(&e)), w)
    }

    #[test]
    fn catalog_url_selects_http() {
        let (c, w) = load(
            &[
                ("CATALOG_URL", "http://127.0.0.1:9/"),
                ("CATALOG_TIMEOUT_MS", "1500"),
                ("CATALOG_CACHE", "off"),
                ("STATIC_CATALOG", "{}"),
            ],
            true,
        );
        let Ok(Catalog::Http(h)) = c else { panic!("{c:?}") };
        assert_eq!(h.base_url(), "http://127.0.0.1:9");
        assert_eq!(h.audience(), "http://127.0.0.1:9", "aud defaults to the base URL");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("STATIC_CATALOG is ignored"));
        let (c, _) = load(
            &[("CATALOG_URL", "https://api.example"), ("CATALOG_AUDIENCE", "cat")],
            true,
        );
        let Ok(Catalog::Http(h)) = c else { panic!() };
        assert_eq!(h.audience(), "cat");
        let (c, _) = load(&[], true);
        assert!(matches!(c, Ok(Catalog::Static(_))));
    }

    #[test]
    fn http_catalog_fails_closed() {
        let (c, w) = load(&[("CATALOG_URL", "https://api.example")], false);
        assert!(c.unwrap_err().contains("OIDC provider"));
        assert!(w.iter().any(|w| w.starts_with("catalog disabled")));
        let (c, _) = load(&[("CATALOG_URL", "ftp://api.example")], true);
        assert!(c.is_err());
        let (c, _) = load(
            &[
                ("CATALOG_URL", "https://api.example"),
                ("CATALOG_CONNECTION_KEYS", "{\"c\": \"TOPSECRET\"}"),
            ],
            true,
        );
        let e = c.unwrap_err();
        assert!(e.contains("CATALOG_CONNECTION_KEYS") && !e.contains("TOPSECRET"), "{e}");
    }

    #[test]
    fn bad_tuning_values_warn_and_use_defaults() {
        let (c, w) = load(
            &[
                ("CATALOG_URL", "https://api.example"),
                ("CATALOG_TIMEOUT_MS", "50"),
                ("CATALOG_CACHE", "maybe"),
            ],
            true,
        );
        assert!(matches!(c, Ok(Catalog::Http(_))));
        assert_eq!(w.len(), 2, "{w:?}");
    }

    #[test]
    fn connection_keys_parse_and_hide_secrets() {
        let k = connection_keys(r#"{"acme-s3": {"access_key_id": " AKIA ", "secret_access_key": "s3cr3t"}}"#).unwrap();
        assert_eq!(k["acme-s3"].access_key_id, "AKIA");
        assert_eq!(k["acme-s3"].secret_access_key.expose(), "s3cr3t");
        assert!(!format!("{k:?}").contains("s3cr3t"));
        for bad in [
            r#"{"c": {"access_key_id": "", "secret_access_key": "s"}}"#,
            r#"{"c": {"access_key_id": "a"}}"#,
            r#"{"c": {"access_key_id": "a", "secret_access_key": "s", "extra": 1}}"#,
            r#"[]"#,
        ] {
            assert!(connection_keys(bad).is_err(), "{bad}");
        }
    }
}
