//! Configuration: read once per isolate into a typed value that never
//! changes (what the isolate accumulates is in `state`). Nothing here
//! panics: a bad value disables what needs it and says why.

use std::sync::Arc;

use crate::catalog::config::CatalogConfigError;
use crate::catalog::Catalog;
use crate::cors::Origins;
use crate::error::chain;
use crate::log::Level;
use crate::oidc::provider::{ProviderKeys, TOKEN_TTL_SECS};
use crate::session::SessionKeys;
use crate::sts::roles::Roles;

#[derive(Debug)]
pub struct Config {
    /// The catalog, or why there is none (requests needing it answer 503).
    /// Shared: each request it fails carries it as its cause.
    pub catalog: Result<Catalog, Arc<CatalogConfigError>>,
    pub cors: Origins,
    pub log_level: Level,
    /// GetBucketLocation's answer.
    pub region: String,
    /// Keys sealing STS sessions; `None` disables STS and signed requests.
    pub session_keys: Option<SessionKeys>,
    pub roles: Roles,
    /// `OIDC_ALLOW_LOOPBACK_ISSUERS=true`: http issuers on 127.0.0.1/localhost (dev, tests).
    pub allow_loopback_issuers: bool,
    /// The proxy's own OIDC signing keys; `None` disables the provider.
    pub provider: Option<ProviderKeys>,
    /// `OIDC_PROVIDER_TOKEN_TTL_SECS`: the lifetime of minted tokens.
    pub token_ttl_secs: i64,
    /// `ISOLATE_STATS_EVERY`: the isolate's memory and cache sizes in the log
    /// every this many requests.
    pub stats_every: Option<u64>,
    /// `OBJECT_CACHE*`: the edge cache for public reads.
    pub object_cache: crate::objcache::Settings,
    /// Problems found while loading, logged once by the runtime.
    pub warnings: Vec<String>,
}

impl Config {
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let mut warnings = Vec::new();
        let log_level = match env("LOG_LEVEL") {
            None => Level::Info,
            Some(v) => Level::parse(&v).unwrap_or_else(|| {
                warnings.push(format!("LOG_LEVEL {v:?} is not error|warn|info|debug; using info"));
                Level::Info
            }),
        };
        let session_keys = match SessionKeys::from_config(
            env("SESSION_TOKEN_KEY").as_deref(),
            env("SESSION_TOKEN_KEY_PREVIOUS").as_deref(),
        ) {
            Ok(Some(k)) => {
                warnings.extend(k.warnings().iter().map(ToString::to_string));
                Some(k)
            }
            Ok(None) => None,
            Err(e) => {
                warnings.push(format!("STS disabled: {}", chain(&e)));
                None
            }
        };
        let (roles, role_warnings) = Roles::from_env(env);
        warnings.extend(role_warnings);
        let allow_loopback_issuers = env("OIDC_ALLOW_LOOPBACK_ISSUERS").is_some_and(|v| v.trim() == "true");
        let provider = match ProviderKeys::from_config(
            env("OIDC_PROVIDER_ISSUER").as_deref(),
            env("OIDC_PROVIDER_KID").as_deref(),
            env("OIDC_PROVIDER_KEY").as_deref(),
            env("OIDC_PROVIDER_KID_PREVIOUS").as_deref(),
            env("OIDC_PROVIDER_KEY_PREVIOUS").as_deref(),
            allow_loopback_issuers,
        ) {
            Ok(Some(k)) => Some(k),
            Ok(None) => {
                warnings.push("OIDC provider disabled: OIDC_PROVIDER_ISSUER/KID/KEY are not set".into());
                None
            }
            Err(e) => {
                warnings.push(format!("OIDC provider disabled: {}", chain(&e)));
                None
            }
        };
        let token_ttl = match env("OIDC_PROVIDER_TOKEN_TTL_SECS").filter(|v| !v.trim().is_empty()) {
            None => TOKEN_TTL_SECS,
            Some(v) => match v.trim().parse::<i64>() {
                Ok(t) if (10..=3600).contains(&t) => t,
                _ => {
                    warnings.push(format!(
                        "OIDC_PROVIDER_TOKEN_TTL_SECS {v:?} is not 10..=3600 seconds; using {TOKEN_TTL_SECS}"
                    ));
                    TOKEN_TTL_SECS
                }
            },
        };
        let needs = crate::catalog::config::Needs {
            allow_loopback_http: allow_loopback_issuers,
            provider: provider.is_some(),
        };
        let catalog = crate::catalog::config::from_env(env, &needs, &mut warnings).map_err(Arc::new);
        let stats_every = crate::stats::parse_every(env("ISOLATE_STATS_EVERY").as_deref(), &mut warnings);
        let object_cache = crate::objcache::Settings::from_env(env, &mut warnings);
        Config {
            object_cache,
            catalog,
            token_ttl_secs: token_ttl,
            provider,
            session_keys,
            roles,
            allow_loopback_issuers,
            cors: Origins::parse(env("CORS_ALLOWED_ORIGINS").as_deref()),
            log_level,
            region: env("S3_REGION")
                .filter(|r| !r.trim().is_empty())
                .unwrap_or_else(|| "us-east-1".into()),
            stats_every,
            warnings,
        }
    }
}

#[cfg(test)]
mod tests;
