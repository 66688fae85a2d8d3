//! The static catalog: one JSON document from configuration.
//! Format: README.md "Static catalog"; the default is `default.json`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::config::Needs;
use super::{Grant, GrantError, Product, Resolved, Visibility};
use crate::backend::federation::{WebIdentity, WebIdentityDoc, WebIdentityError};
use crate::backend::{Backend, S3Backend};
use crate::route::valid_name;
use crate::secret::Secret;
use crate::sigv4::Credentials;

/// The catalog `make dev` serves: the sample data in local R2.
pub const DEFAULT_JSON: &str = include_str!("default.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    #[serde(default)]
    backends: BTreeMap<String, BackendDoc>,
    #[serde(default)]
    accounts: BTreeMap<String, AccountDoc>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum BackendDoc {
    R2 {
        binding: String,
    },
    S3 {
        endpoint: String,
        bucket: String,
        #[serde(default)]
        region: Option<String>,
        #[serde(default)]
        access_key_id_var: Option<String>,
        #[serde(default)]
        secret_access_key_var: Option<String>,
        /// Temporary credentials from an STS for the proxy's own identity.
        #[serde(default)]
        web_identity: Option<Box<WebIdentityDoc>>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountDoc {
    #[serde(default)]
    products: BTreeMap<String, ProductDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductDoc {
    visibility: Visibility,
    backend: String,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    #[allow(dead_code)] // documentation for humans reading the catalog
    title: Option<String>,
    #[serde(default)]
    grants: Vec<Grant>,
    #[serde(default)]
    cache: crate::objcache::ProductCache,
}

/// Why a static catalog is refused (the whole catalog: it answers 503).
#[derive(thiserror::Error)]
pub enum StaticCatalogError {
    #[error("invalid catalog JSON")]
    Json(#[from] serde_json::Error),
    #[error("invalid account name {0:?}")]
    AccountName(String),
    #[error("invalid product name {account}/{name:?}")]
    ProductName { account: String, name: String },
    #[error("product {product} names unknown backend {backend:?}")]
    UnknownBackend { product: String, backend: String },
    #[error("product {product}")]
    Grant {
        product: String,
        #[source]
        source: GrantError,
    },
    #[error("backend {name}")]
    Backend {
        name: String,
        #[source]
        problem: BackendProblem,
    },
}

crate::error::debug_as_display!(StaticCatalogError);

/// What is wrong with one backend of a static catalog.
#[derive(thiserror::Error)]
pub enum BackendProblem {
    #[error("empty binding")]
    EmptyBinding,
    #[error("endpoint must be http(s)://host[:port]")]
    Endpoint,
    #[error("invalid bucket")]
    Bucket,
    #[error("web_identity and access_key_id_var/secret_access_key_var exclude each other")]
    BothCredentials,
    #[error("web_identity")]
    WebIdentity(#[source] WebIdentityError),
    #[error("give both access_key_id_var and secret_access_key_var")]
    HalfKeys,
}

crate::error::debug_as_display!(BackendProblem);

#[derive(Debug)]
pub struct StaticCatalog {
    accounts: BTreeMap<String, BTreeMap<String, Product>>,
    backends: BTreeMap<String, Backend>,
}

impl StaticCatalog {
    /// Parses and validates a catalog. `env` looks up the variables that hold
    /// backend credentials; a backend whose secrets are missing becomes
    /// `Backend::Unavailable` (its products answer 503) rather than failing
    /// the whole catalog.
    pub fn parse(json: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, StaticCatalogError> {
        let needs = Needs {
            allow_loopback_http: false,
            provider: true,
        };
        Self::parse_with(json, env, &needs)
    }

    /// [`StaticCatalog::parse`] knowing the rest of the configuration: a
    /// `web_identity` backend needs the OIDC provider (without it the backend
    /// is unavailable, with the reason) and may use an http loopback STS only
    /// when loopback is allowed.
    pub fn parse_with(
        json: &str,
        env: &dyn Fn(&str) -> Option<String>,
        needs: &Needs,
    ) -> Result<Self, StaticCatalogError> {
        // Bytes, as every JSON parse here: one serde_json reader in the wasm (docs/BENCHMARKS.md).
        let doc: Doc = serde_json::from_slice(json.as_bytes())?;
        let mut backends = BTreeMap::new();
        for (name, b) in doc.backends {
            backends.insert(name.clone(), backend(&name, b, env, needs)?);
        }
        let mut accounts = BTreeMap::new();
        for (account, a) in doc.accounts {
            if !valid_name(&account) {
                return Err(StaticCatalogError::AccountName(account));
            }
            let mut products = BTreeMap::new();
            for (name, p) in a.products {
                if !valid_name(&name) {
                    return Err(StaticCatalogError::ProductName { account, name });
                }
                if !backends.contains_key(&p.backend) {
                    return Err(StaticCatalogError::UnknownBackend {
                        product: format!("{account}/{name}"),
                        backend: p.backend,
                    });
                }
                for g in &p.grants {
                    g.validate().map_err(|source| StaticCatalogError::Grant {
                        product: format!("{account}/{name}"),
                        source,
                    })?;
                }
                let product = Product {
                    name: name.clone(),
                    visibility: p.visibility,
                    backend: p.backend,
                    prefix: p.prefix,
                    grants: p.grants,
                    cache: p.cache,
                };
                products.insert(name, product);
            }
            accounts.insert(account, products);
        }
        Ok(Self { accounts, backends })
    }

    pub fn account(&self, account: &str) -> Option<&BTreeMap<String, Product>> {
        self.accounts.get(account)
    }

    pub fn account_names(&self) -> Vec<&str> {
        self.accounts.keys().map(String::as_str).collect()
    }

    pub fn resolve(&self, account: &str, product: &str) -> Option<Resolved> {
        let product = self.accounts.get(account)?.get(product)?;
        let backend = self.backends.get(&product.backend)?;
        Some(Resolved {
            product: product.clone(),
            backend: backend.clone(),
        })
    }

    /// Products of an account, ordered as their keys sort (`name/`), or
    /// `None` when the account does not exist.
    pub fn products(&self, account: &str) -> Option<Vec<&Product>> {
        let mut v: Vec<&Product> = self.account(account)?.values().collect();
        crate::sort::sort_by(&mut v, |a, b| super::key_order(&a.name, &b.name));
        Some(v)
    }

    /// Backends that cannot serve, with the reason (logged at start-up).
    pub fn unavailable_backends(&self) -> Vec<(&str, &str)> {
        self.backends
            .iter()
            .filter_map(|(n, b)| match b {
                Backend::Unavailable(r) => Some((n.as_str(), r.as_str())),
                _ => None,
            })
            .collect()
    }
}

fn backend(
    name: &str,
    b: BackendDoc,
    env: &dyn Fn(&str) -> Option<String>,
    needs: &Needs,
) -> Result<Backend, StaticCatalogError> {
    let bad = |problem| StaticCatalogError::Backend {
        name: name.to_string(),
        problem,
    };
    match b {
        BackendDoc::R2 { binding } if binding.is_empty() => Err(bad(BackendProblem::EmptyBinding)),
        BackendDoc::R2 { binding } => Ok(Backend::R2 { binding }),
        BackendDoc::S3 {
            endpoint,
            bucket,
            region,
            access_key_id_var,
            secret_access_key_var,
            web_identity,
        } => {
            let endpoint = endpoint.trim_end_matches('/').to_string();
            let scheme_ok = endpoint.starts_with("https://") || endpoint.starts_with("http://");
            let host = endpoint.split_once("://").map_or("", |(_, h)| h);
            if !scheme_ok || host.is_empty() || host.contains(['?', '#', '/', ' ']) {
                return Err(bad(BackendProblem::Endpoint));
            }
            if bucket.is_empty() || bucket.contains(['/', '?', '#']) {
                return Err(bad(BackendProblem::Bucket));
            }
            let web_identity = match web_identity {
                None => None,
                Some(_) if access_key_id_var.is_some() || secret_access_key_var.is_some() => {
                    return Err(bad(BackendProblem::BothCredentials))
                }
                Some(doc) => Some(
                    WebIdentity::from_doc(name, *doc, needs.allow_loopback_http)
                        .map_err(|e| bad(BackendProblem::WebIdentity(e)))?,
                ),
            };
            if web_identity.is_some() && !needs.provider {
                return Ok(Backend::Unavailable(format!(
                    "backend {name}: web_identity needs the OIDC provider (OIDC_PROVIDER_ISSUER/KID/KEY) to sign its assertion"
                )));
            }
            let credentials = match (access_key_id_var, secret_access_key_var) {
                (None, None) => None,
                (Some(id_var), Some(secret_var)) => match (env(&id_var), env(&secret_var)) {
                    (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Some(Credentials {
                        access_key_id: id,
                        secret_access_key: Secret::from(secret),
                        session_token: None,
                    }),
                    _ => {
                        return Ok(Backend::Unavailable(format!(
                            "backend {name}: secret {id_var} or {secret_var} is not set"
                        )))
                    }
                },
                _ => return Err(bad(BackendProblem::HalfKeys)),
            };
            let region = region.unwrap_or_else(|| "us-east-1".to_string());
            Ok(Backend::S3(S3Backend {
                endpoint,
                bucket,
                region,
                credentials,
                web_identity: web_identity.map(std::rc::Rc::new),
            }))
        }
    }
}

#[cfg(test)]
mod tests;
