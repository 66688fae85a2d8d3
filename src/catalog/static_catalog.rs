//! The static catalog: one JSON document from configuration.
//! Format: README.md "Static catalog"; the default is `default.json`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::config::Needs;
use super::{Grant, GrantError, Product, Resolved, Visibility};
use crate::backend::federation::{WebIdentity, WebIdentityDoc, WebIdentityError};
use crate::backend::{Backend, S3Backend};
use crate::json::{self, FieldError, Obj};
use crate::route::valid_name;
use crate::secret::Secret;
use crate::sigv4::Credentials;

/// The catalog `make dev` serves: the sample data in local R2.
pub const DEFAULT_JSON: &str = include_str!("default.json");

struct Doc {
    backends: BTreeMap<String, BackendDoc>,
    accounts: BTreeMap<String, AccountDoc>,
}

enum BackendDoc {
    R2 {
        binding: String,
    },
    S3 {
        endpoint: String,
        bucket: String,
        region: Option<String>,
        access_key_id_var: Option<String>,
        secret_access_key_var: Option<String>,
        /// Temporary credentials from an STS for the proxy's own identity.
        web_identity: Option<Box<WebIdentityDoc>>,
    },
}

struct AccountDoc {
    products: BTreeMap<String, ProductDoc>,
}

struct ProductDoc {
    visibility: Visibility,
    backend: String,
    prefix: String,
    grants: Vec<Grant>,
    cache: crate::objcache::ProductCache,
}

// Read by hand (src/json.rs): unknown fields are refused at every level, as are repeated keys.

fn doc(v: Value) -> json::Result<Doc> {
    let mut o = Obj::new(v)?;
    let backends = o.or_default("backends", |v| json::map(v, backend_doc))?;
    let accounts = o.or_default("accounts", |v| json::map(v, account_doc))?;
    o.end()?;
    Ok(Doc { backends, accounts })
}

fn backend_doc(v: Value) -> json::Result<BackendDoc> {
    let mut o = Obj::new(v)?;
    let b = match o.req_str("type")?.as_str() {
        "r2" => BackendDoc::R2 {
            binding: o.req_str("binding")?,
        },
        "s3" => BackendDoc::S3 {
            endpoint: o.req_str("endpoint")?,
            bucket: o.req_str("bucket")?,
            region: o.opt_str("region")?,
            access_key_id_var: o.opt_str("access_key_id_var")?,
            secret_access_key_var: o.opt_str("secret_access_key_var")?,
            web_identity: o.opt("web_identity", WebIdentityDoc::from_value)?.map(Box::new),
        },
        _ => return Err(FieldError::new("expected \"r2\" or \"s3\"").at("type")),
    };
    o.end()?;
    Ok(b)
}

fn account_doc(v: Value) -> json::Result<AccountDoc> {
    let mut o = Obj::new(v)?;
    let products = o.or_default("products", |v| json::map(v, product_doc))?;
    o.end()?;
    Ok(AccountDoc { products })
}

fn product_doc(v: Value) -> json::Result<ProductDoc> {
    let mut o = Obj::new(v)?;
    let p = ProductDoc {
        visibility: o.req("visibility", Visibility::from_value)?,
        backend: o.req_str("backend")?,
        prefix: o.or_default("prefix", json::string)?,
        grants: o.or_default("grants", |v| json::list(v, Grant::from_value))?,
        cache: o.or_default("cache", crate::objcache::ProductCache::from_value)?,
    };
    // Documentation for humans reading the catalog; only its type is checked.
    o.opt_str("title")?;
    o.end()?;
    Ok(p)
}

/// Why a static catalog is refused (the whole catalog: it answers 503).
#[derive(thiserror::Error)]
pub enum StaticCatalogError {
    #[error("invalid catalog JSON")]
    Json(#[from] json::Error),
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
        let doc = json::read(json.as_bytes(), doc)?;
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
