//! The catalog API's JSON answers (Source-Cooperative-compatible) and
//! their mapping to the proxy's [`Product`] and [`Backend`].
//!
//! Parsing tolerates extra fields and is strict on the ones the proxy needs:
//! a missing field, a wrong type or a repeated key is a parse error (the
//! caller answers 503). Read by hand (src/json.rs), not by serde's derive.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::backend::{Backend, S3Backend};
use crate::catalog::{Grant, Product, Visibility};
use crate::json::{self, Obj};
use crate::route::valid_name;
use crate::sigv4::Credentials;

/// `GET /api/v1/products/{account}/{product}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiProduct {
    pub product_id: String,
    pub account_id: Option<String>,
    pub disabled: bool,
    pub visibility: Visibility,
    pub metadata: ApiProductMetadata,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiProductMetadata {
    /// Mirrors by name; absent on a product without data yet.
    pub mirrors: BTreeMap<String, ApiMirror>,
    pub primary_mirror: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiMirror {
    pub connection_id: String,
    pub prefix: String,
}

/// `GET /api/v1/products/{account}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiProductList {
    pub products: Vec<ApiProduct>,
}

/// `GET /api/v1/data-connections/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiDataConnection {
    pub data_connection_id: String,
    pub read_only: bool,
    pub details: ApiConnectionDetails,
    /// Only its `type` is kept: whatever else it holds (keys, tokens) is
    /// dropped while parsing, so it can reach neither a cache nor a log.
    pub authentication: Option<ApiAuthentication>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConnectionDetails {
    /// `s3`, `gcs`, `az`; anything else parses (and maps to an unavailable backend).
    pub provider: String,
    pub bucket: Option<String>,
    pub region: Option<String>,
    pub base_prefix: Option<String>,
    pub endpoint: Option<String>,
    pub account_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiAuthentication {
    /// `type`.
    pub kind: Option<String>,
}

/// `GET /api/v1/products/{account}/{product}/permissions`: what the calling
/// principal may do (`["read", ...]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions(pub Vec<String>);

impl Permissions {
    pub fn can_read(&self) -> bool {
        self.0.iter().any(|p| p == "read")
    }

    /// The grants that let `authz::can_read` admit this principal to a
    /// restricted product: one for (issuer, subject) when it may read.
    pub fn grants_for(&self, issuer: &str, subject: &str) -> Vec<Grant> {
        if !self.can_read() {
            return Vec::new();
        }
        vec![Grant {
            issuer: issuer.to_string(),
            subject: Some(subject.to_string()),
            claim: None,
            equals: None,
        }]
    }
}

/// A product as an account listing needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSummary {
    pub name: String,
    pub visibility: Visibility,
}

/// Why a catalog answer is unusable: the texts quote the answer (for the
/// log), never a token.
#[derive(thiserror::Error)]
pub enum ModelError {
    #[error("invalid {what} JSON")]
    Json {
        what: &'static str,
        #[source]
        source: json::Error,
    },
    #[error("product {0}: no primary_mirror")]
    NoPrimaryMirror(String),
    #[error("product {product}: primary mirror {mirror:?} is not among its mirrors")]
    UnknownMirror { product: String, mirror: String },
    #[error("asked for product {asked:?}, catalog answered {answered:?}")]
    OtherProduct { asked: String, answered: String },
    #[error("asked for account {asked:?}, catalog answered {answered:?}")]
    OtherAccount { asked: String, answered: String },
    #[error("product {product}: mirror wants connection {wants:?}, got {got:?}")]
    OtherConnection {
        product: String,
        wants: String,
        got: String,
    },
    #[error("connection {0}: no bucket")]
    NoBucket(String),
    #[error("connection {id}: invalid bucket {bucket:?}")]
    InvalidBucket { id: String, bucket: String },
    #[error("connection {id}: invalid region {region:?}")]
    InvalidRegion { id: String, region: String },
    #[error("connection {0}: s3 without endpoint needs a region")]
    NoRegion(String),
    #[error("connection {0}: endpoint must be http(s)://host[:port]")]
    Endpoint(String),
    #[error("prefix {base:?} + {mirror:?} has '.' or '..' segments")]
    DotSegments { base: String, mirror: String },
}

crate::error::debug_as_display!(ModelError);

fn json<T>(what: &'static str, body: &[u8], read: fn(Value) -> json::Result<T>) -> Result<T, ModelError> {
    json::read(body, read).map_err(|source| ModelError::Json { what, source })
}

fn product(v: Value) -> json::Result<ApiProduct> {
    let mut o = Obj::new(v)?;
    Ok(ApiProduct {
        product_id: o.req_str("product_id")?,
        account_id: o.opt_str("account_id")?,
        disabled: o.req("disabled", json::boolean)?,
        visibility: o.req("visibility", Visibility::from_value)?,
        metadata: o.req("metadata", |v| {
            let mut m = Obj::new(v)?;
            Ok(ApiProductMetadata {
                mirrors: m.or_default("mirrors", |v| json::map(v, mirror))?,
                primary_mirror: m.opt_str("primary_mirror")?,
            })
        })?,
    })
}

fn mirror(v: Value) -> json::Result<ApiMirror> {
    let mut o = Obj::new(v)?;
    Ok(ApiMirror {
        connection_id: o.req_str("connection_id")?,
        prefix: o.req_str("prefix")?,
    })
}

fn product_list(v: Value) -> json::Result<ApiProductList> {
    let mut o = Obj::new(v)?;
    Ok(ApiProductList {
        products: o.req("products", |v| json::list(v, product))?,
    })
}

fn data_connection(v: Value) -> json::Result<ApiDataConnection> {
    let mut o = Obj::new(v)?;
    Ok(ApiDataConnection {
        data_connection_id: o.req_str("data_connection_id")?,
        read_only: o.req("read_only", json::boolean)?,
        details: o.req("details", |v| {
            let mut d = Obj::new(v)?;
            Ok(ApiConnectionDetails {
                provider: d.req_str("provider")?,
                bucket: d.opt_str("bucket")?,
                region: d.opt_str("region")?,
                base_prefix: d.opt_str("base_prefix")?,
                endpoint: d.opt_str("endpoint")?,
                account_name: d.opt_str("account_name")?,
            })
        })?,
        authentication: o.opt("authentication", |v| {
            Ok(ApiAuthentication {
                kind: Obj::new(v)?.opt_str("type")?,
            })
        })?,
    })
}

fn permissions(v: Value) -> json::Result<Permissions> {
    json::strings(v).map(Permissions)
}

pub fn parse_product(body: &[u8]) -> Result<ApiProduct, ModelError> {
    let p = json("product", body, product)?;
    // A live product must say where its bytes are; a broken answer is never cached.
    if !p.disabled {
        p.primary_mirror()?;
    }
    Ok(p)
}

pub fn parse_product_list(body: &[u8]) -> Result<ApiProductList, ModelError> {
    json("product list", body, product_list)
}

pub fn parse_data_connection(body: &[u8]) -> Result<ApiDataConnection, ModelError> {
    let c = json("data connection", body, data_connection)?;
    c.check()?;
    Ok(c)
}

pub fn parse_permissions(body: &[u8]) -> Result<Permissions, ModelError> {
    json("permissions", body, permissions)
}

impl ApiProduct {
    /// The mirror the proxy reads from.
    pub fn primary_mirror(&self) -> Result<&ApiMirror, ModelError> {
        let name = self
            .metadata
            .primary_mirror
            .as_deref()
            .ok_or_else(|| ModelError::NoPrimaryMirror(self.product_id.clone()))?;
        self.metadata
            .mirrors
            .get(name)
            .ok_or_else(|| ModelError::UnknownMirror {
                product: self.product_id.clone(),
                mirror: name.to_string(),
            })
    }

    /// Does this answer describe `account/product`? (A confused or hostile
    /// answer for another product is refused rather than served.)
    pub fn check_identity(&self, account: &str, product: &str) -> Result<(), ModelError> {
        if self.product_id != product {
            return Err(ModelError::OtherProduct {
                asked: product.to_string(),
                answered: self.product_id.clone(),
            });
        }
        match self.account_id.as_deref() {
            Some(a) if a != account => Err(ModelError::OtherAccount {
                asked: account.to_string(),
                answered: a.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// The proxy's product: its name, visibility, and prefix inside the
    /// connection (`base_prefix` + the mirror's prefix, slashes normalised).
    /// `grants` come from the permissions answer (see [`Permissions::grants_for`]).
    pub fn to_product(&self, conn: &ApiDataConnection, grants: Vec<Grant>) -> Result<Product, ModelError> {
        let mirror = self.primary_mirror()?;
        if mirror.connection_id != conn.data_connection_id {
            return Err(ModelError::OtherConnection {
                product: self.product_id.clone(),
                wants: mirror.connection_id.clone(),
                got: conn.data_connection_id.clone(),
            });
        }
        let base = conn.details.base_prefix.as_deref().unwrap_or("");
        Ok(Product {
            name: self.product_id.clone(),
            visibility: self.visibility,
            backend: conn.data_connection_id.clone(),
            prefix: join_prefix(base, &mirror.prefix)?,
            grants,
            // The catalog API has no cache settings: the Worker's defaults.
            cache: Default::default(),
        })
    }
}

impl ApiProductList {
    /// The live products with usable names, sorted and deduplicated as
    /// their keys sort in the account bucket (`name/`).
    pub fn summaries(&self) -> Vec<ProductSummary> {
        let mut v: Vec<ProductSummary> = self
            .products
            .iter()
            .filter(|p| !p.disabled && valid_name(&p.product_id))
            .map(|p| ProductSummary {
                name: p.product_id.clone(),
                visibility: p.visibility,
            })
            .collect();
        crate::sort::sort_by(&mut v, |a, b| crate::catalog::key_order(&a.name, &b.name));
        v.dedup_by(|a, b| a.name == b.name);
        v
    }
}

impl ApiDataConnection {
    /// What every provider needs, checked before an answer is cached.
    fn check(&self) -> Result<(), ModelError> {
        if let Some(base) = &self.details.base_prefix {
            join_prefix(base, "")?;
        }
        match self.details.provider.as_str() {
            "s3" | "gcs" => s3_backend(self).map(|_| ()),
            _ => Ok(()),
        }
    }

    /// The backend holding a product of `visibility` on this connection,
    /// read with `keys` (the proxy's own secret for this connection) when
    /// there are any.
    ///
    /// Without keys, reads are anonymous, and only where that is safe:
    /// a connection that declares `authentication` needs keys for every
    /// product, and a restricted product is never read unsigned.
    pub fn to_backend(&self, visibility: Visibility, keys: Option<&Credentials>) -> Backend {
        let id = &self.data_connection_id;
        match self.details.provider.as_str() {
            "s3" | "gcs" => match (keys, &self.authentication, visibility) {
                (None, Some(auth), _) => Backend::Unavailable(format!(
                    "connection {id}: needs authentication ({}) but CATALOG_CONNECTION_KEYS has no keys for it",
                    auth.kind.as_deref().unwrap_or("unknown type")
                )),
                (None, None, Visibility::Restricted) => Backend::Unavailable(format!(
                    "connection {id}: a restricted product is never read unsigned; give its keys in CATALOG_CONNECTION_KEYS"
                )),
                _ => match s3_backend(self) {
                    Ok(mut b) => {
                        b.credentials = keys.cloned();
                        Backend::S3(b)
                    }
                    Err(e) => Backend::Unavailable(e.to_string()),
                },
            },
            "az" => Backend::Unavailable(format!("connection {id}: azure not supported yet")),
            other => Backend::Unavailable(format!("connection {id}: unknown provider {other:?}")),
        }
    }
}

fn s3_backend(conn: &ApiDataConnection) -> Result<S3Backend, ModelError> {
    let id = &conn.data_connection_id;
    let d = &conn.details;
    let bucket = d.bucket.as_deref().ok_or_else(|| ModelError::NoBucket(id.clone()))?;
    let bucket_ok = !bucket.is_empty()
        && bucket.len() <= 255
        && bucket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && bucket != "."
        && bucket != "..";
    if !bucket_ok {
        return Err(ModelError::InvalidBucket {
            id: id.clone(),
            bucket: bucket.to_string(),
        });
    }
    let region = match d.region.as_deref() {
        Some(r) if valid_region(r) => Some(r),
        Some(r) => {
            return Err(ModelError::InvalidRegion {
                id: id.clone(),
                region: r.to_string(),
            })
        }
        None => None,
    };
    let (endpoint, region) = match (d.provider.as_str(), d.endpoint.as_deref()) {
        (_, Some(e)) => (endpoint(id, e)?, region.unwrap_or("us-east-1")),
        ("gcs", None) => ("https://storage.googleapis.com".to_string(), region.unwrap_or("auto")),
        (_, None) => {
            let r = region.ok_or_else(|| ModelError::NoRegion(id.clone()))?;
            (format!("https://s3.{r}.amazonaws.com"), r)
        }
    };
    Ok(S3Backend {
        endpoint,
        bucket: bucket.to_string(),
        region: region.to_string(),
        credentials: None,
        web_identity: None,
    })
}

/// AWS-style region names: they become part of a host name.
fn valid_region(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 64
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !r.starts_with('-')
        && !r.ends_with('-')
}

/// `http(s)://host[:port]`, nothing else (no path, query, userinfo).
fn endpoint(id: &str, e: &str) -> Result<String, ModelError> {
    let e = e.trim_end_matches('/');
    let host = e
        .strip_prefix("https://")
        .or_else(|| e.strip_prefix("http://"))
        .unwrap_or("");
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !ok {
        return Err(ModelError::Endpoint(id.to_string()));
    }
    Ok(e.to_string())
}

/// `base` + `mirror` as a key prefix: no empty segments, no leading slash,
/// a trailing slash unless empty. `.`/`..` segments are refused (fetch would
/// normalise them away, and a prefix must never climb out of its base).
pub fn join_prefix(base: &str, mirror: &str) -> Result<String, ModelError> {
    let segs: Vec<&str> = base
        .split('/')
        .chain(mirror.split('/'))
        .filter(|s| !s.is_empty())
        .collect();
    if segs.iter().any(|s| *s == "." || *s == "..") {
        return Err(ModelError::DotSegments {
            base: base.to_string(),
            mirror: mirror.to_string(),
        });
    }
    if segs.is_empty() {
        return Ok(String::new());
    }
    let mut p = segs.join("/");
    p.push('/');
    Ok(p)
}

#[cfg(test)]
mod tests;
