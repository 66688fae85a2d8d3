//! The catalog API's JSON answers (Source-Cooperative-compatible) and
//! their mapping to the proxy's [`Product`] and [`Backend`].
//!
//! Parsing tolerates extra fields and is strict on the ones the proxy needs:
//! a missing field or a wrong type is a parse error (the caller answers 503).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::backend::{Backend, S3Backend};
use crate::catalog::{Grant, Product, Visibility};
use crate::route::valid_name;
use crate::sigv4::Credentials;

/// `GET /api/v1/products/{account}/{product}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiProduct {
    pub product_id: String,
    #[serde(default)]
    pub account_id: Option<String>,
    pub disabled: bool,
    pub visibility: Visibility,
    pub metadata: ApiProductMetadata,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiProductMetadata {
    /// Mirrors by name; absent on a product without data yet.
    #[serde(default)]
    pub mirrors: BTreeMap<String, ApiMirror>,
    #[serde(default)]
    pub primary_mirror: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiMirror {
    pub connection_id: String,
    pub prefix: String,
}

/// `GET /api/v1/products/{account}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiProductList {
    pub products: Vec<ApiProduct>,
}

/// `GET /api/v1/data-connections/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiDataConnection {
    pub data_connection_id: String,
    pub read_only: bool,
    pub details: ApiConnectionDetails,
    /// Only its `type` is kept: whatever else it holds (keys, tokens) is
    /// dropped while parsing, so it can reach neither a cache nor a log.
    #[serde(default)]
    pub authentication: Option<ApiAuthentication>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiConnectionDetails {
    /// `s3`, `gcs`, `az`; anything else parses (and maps to an unavailable backend).
    pub provider: String,
    #[serde(default)]
    pub bucket: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub base_prefix: Option<String>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub account_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiAuthentication {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// `GET /api/v1/products/{account}/{product}/permissions`: what the calling
/// principal may do (`["read", ...]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
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
        source: serde_json::Error,
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

fn json<T: serde::de::DeserializeOwned>(what: &'static str, body: &[u8]) -> Result<T, ModelError> {
    serde_json::from_slice(body).map_err(|source| ModelError::Json { what, source })
}

pub fn parse_product(body: &[u8]) -> Result<ApiProduct, ModelError> {
    let p: ApiProduct = json("product", body)?;
    // A live product must say where its bytes are; a broken answer is never cached.
    if !p.disabled {
        p.primary_mirror()?;
    }
    Ok(p)
}

pub fn parse_product_list(body: &[u8]) -> Result<ApiProductList, ModelError> {
    json("product list", body)
}

pub fn parse_data_connection(body: &[u8]) -> Result<ApiDataConnection, ModelError> {
    let c: ApiDataConnection = json("data connection", body)?;
    c.check()?;
    Ok(c)
}

pub fn parse_permissions(body: &[u8]) -> Result<Permissions, ModelError> {
    json("permissions", body)
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
        v.sort_by_key(|p| crate::catalog::key_root(&p.name));
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
mod tests {
    use super::*;

    fn conn(json: &str) -> ApiDataConnection {
        parse_data_connection(json.as_bytes()).unwrap()
    }

    const PRODUCT: &str = r#"{"product_id":"p","account_id":"acme","disabled":false,"visibility":"public",
        "title":"extra fields are fine","metadata":{"primary_mirror":"m","tags":[1],
        "mirrors":{"m":{"connection_id":"c","prefix":"acme/p/","storage_type":"s3","is_primary":true}}}}"#;

    #[test]
    fn product_parses_with_extra_fields() {
        let p = parse_product(PRODUCT.as_bytes()).unwrap();
        assert_eq!(p.primary_mirror().unwrap().connection_id, "c");
        assert!(p.check_identity("acme", "p").is_ok());
        assert!(p.check_identity("acme", "q").is_err());
        assert!(p.check_identity("other", "p").is_err());
    }

    #[test]
    fn product_is_strict_on_what_it_needs() {
        let bad = [
            "",
            "[]",
            "null",
            r#"{"product_id":"p","visibility":"public","metadata":{}}"#,
            r#"{"product_id":"p","disabled":"no","visibility":"public","metadata":{}}"#,
            r#"{"product_id":1,"disabled":false,"visibility":"public","metadata":{}}"#,
            r#"{"product_id":"p","disabled":false,"visibility":"secret","metadata":{}}"#,
            r#"{"product_id":"p","disabled":false,"visibility":"public"}"#,
            r#"{"product_id":"p","disabled":false,"visibility":"public","metadata":{}}"#,
            r#"{"product_id":"p","disabled":false,"visibility":"public","metadata":{"primary_mirror":"x","mirrors":{}}}"#,
            r#"{"product_id":"p","disabled":false,"visibility":"public","metadata":{"primary_mirror":"m","mirrors":{"m":{"prefix":"x"}}}}"#,
            r#"{"product_id":"p","disabled":false,"visibility":"public","metadata":{"primary_mirror":"m","mirrors":{"m":{"connection_id":"c"}}}}"#,
            r#"{"product_id":"p","disabled":false,"visibility":"public","account_id":5,"metadata":{"primary_mirror":"m","mirrors":{"m":{"connection_id":"c","prefix":""}}}}"#,
        ];
        for b in bad {
            assert!(parse_product(b.as_bytes()).is_err(), "{b}");
        }
        // A disabled product needs no mirror (it is treated as missing anyway).
        let disabled = r#"{"product_id":"p","disabled":true,"visibility":"public","metadata":{}}"#;
        assert!(parse_product(disabled.as_bytes()).unwrap().disabled);
    }

    #[test]
    fn list_summaries_skip_disabled_and_odd_names() {
        let json = r#"{"products":[
            {"product_id":"b","disabled":false,"visibility":"public","metadata":{}},
            {"product_id":"a-b","disabled":false,"visibility":"unlisted","metadata":{}},
            {"product_id":"a","disabled":false,"visibility":"restricted","metadata":{}},
            {"product_id":"gone","disabled":true,"visibility":"public","metadata":{}},
            {"product_id":"../x","disabled":false,"visibility":"public","metadata":{}},
            {"product_id":"a/b","disabled":false,"visibility":"public","metadata":{}},
            {"product_id":"b","disabled":false,"visibility":"public","metadata":{}}],"next":null}"#;
        let names: Vec<String> = parse_product_list(json.as_bytes())
            .unwrap()
            .summaries()
            .into_iter()
            .map(|p| p.name)
            .collect();
        // "a-b/" < "a/" in byte order, as the keys sort.
        assert_eq!(names, ["a-b", "a", "b"]);
        assert!(parse_product_list(b"{\"products\":{}}").is_err());
        assert!(parse_product_list(b"{}").is_err());
        assert!(parse_product_list(br#"{"products":[{"product_id":"x"}]}"#).is_err());
    }

    #[test]
    fn prefixes_are_joined_and_normalised() {
        let cases = [
            ("", "", ""),
            ("", "acme/p/", "acme/p/"),
            ("base", "acme/p", "base/acme/p/"),
            ("/base/", "/acme//p/", "base/acme/p/"),
            ("base//", "", "base/"),
            ("a b/%2F", "x+y=z", "a b/%2F/x+y=z/"),
        ];
        for (b, m, want) in cases {
            assert_eq!(join_prefix(b, m).unwrap(), want, "{b:?} {m:?}");
        }
        for (b, m) in [("..", "x"), ("a", "./b"), ("a", "b/../../c")] {
            assert!(join_prefix(b, m).is_err());
        }
    }

    #[test]
    fn s3_connection_maps_to_backend_and_prefix() {
        let c = conn(
            r#"{"data_connection_id":"c","read_only":true,"name":"x","details":{"provider":"s3",
            "bucket":"bkt","region":"eu-west-1","base_prefix":"base/"}}"#,
        );
        match c.to_backend(Visibility::Public, None) {
            Backend::S3(s) => {
                assert_eq!(s.endpoint, "https://s3.eu-west-1.amazonaws.com");
                assert_eq!((s.bucket.as_str(), s.region.as_str()), ("bkt", "eu-west-1"));
                assert!(s.credentials.is_none());
            }
            other => panic!("{other:?}"),
        }
        let p = parse_product(PRODUCT.as_bytes()).unwrap();
        let prod = p.to_product(&c, Vec::new()).unwrap();
        assert_eq!(prod.prefix, "base/acme/p/");
        assert_eq!((prod.name.as_str(), prod.backend.as_str()), ("p", "c"));
        assert_eq!(prod.visibility, Visibility::Public);

        let with_endpoint = conn(
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3",
            "bucket":"bkt","region":"auto","base_prefix":"","endpoint":"http://127.0.0.1:9000/"}}"#,
        );
        match with_endpoint.to_backend(Visibility::Public, None) {
            Backend::S3(s) => assert_eq!(
                (s.endpoint.as_str(), s.region.as_str()),
                ("http://127.0.0.1:9000", "auto")
            ),
            other => panic!("{other:?}"),
        }
        // The mirror must point at this connection.
        let other = conn(
            r#"{"data_connection_id":"d","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r"}}"#,
        );
        assert!(p.to_product(&other, Vec::new()).is_err());
    }

    #[test]
    fn gcs_az_and_unknown_providers() {
        let gcs = conn(
            r#"{"data_connection_id":"g","read_only":true,"details":{"provider":"gcs","bucket":"gb","base_prefix":""}}"#,
        );
        match gcs.to_backend(Visibility::Public, None) {
            Backend::S3(s) => assert_eq!(s.endpoint, "https://storage.googleapis.com"),
            other => panic!("{other:?}"),
        }
        let az = conn(
            r#"{"data_connection_id":"z","read_only":true,"details":{"provider":"az","account_name":"acct",
            "container_name":"c","region":"westeurope","base_prefix":""}}"#,
        );
        assert!(matches!(az.to_backend(Visibility::Public, None), Backend::Unavailable(r) if r.contains("azure")));
        let unknown = conn(r#"{"data_connection_id":"u","read_only":true,"details":{"provider":"ftp"}}"#);
        assert!(matches!(unknown.to_backend(Visibility::Public, None), Backend::Unavailable(r) if r.contains("ftp")));
    }

    #[test]
    fn restricted_product_is_never_read_unsigned() {
        let c = conn(
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"us-east-1"},
            "authentication":{"type":"s3_access_key","access_key_id":"AKIA","secret_access_key":"TOPSECRET"}}"#,
        );
        assert!(
            !format!("{c:?}").contains("TOPSECRET"),
            "secrets are dropped while parsing"
        );
        // Declared authentication without the proxy's own keys: nothing is readable.
        assert!(
            matches!(c.to_backend(Visibility::Restricted, None), Backend::Unavailable(r) if r.contains("s3_access_key"))
        );
        assert!(matches!(
            c.to_backend(Visibility::Public, None),
            Backend::Unavailable(_)
        ));
        let keys = Credentials {
            access_key_id: "AKIAPROXY".into(),
            secret_access_key: "proxy-secret".to_string().into(),
            session_token: None,
        };
        match c.to_backend(Visibility::Restricted, Some(&keys)) {
            Backend::S3(b) => assert_eq!(b.credentials.unwrap().access_key_id, "AKIAPROXY"),
            other => panic!("{other:?}"),
        }
        let public = conn(
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"us-east-1"}}"#,
        );
        assert!(matches!(public.to_backend(Visibility::Public, None), Backend::S3(b) if b.credentials.is_none()));
        assert!(matches!(public.to_backend(Visibility::Unlisted, None), Backend::S3(b) if b.credentials.is_none()));
        assert!(
            matches!(public.to_backend(Visibility::Restricted, None), Backend::Unavailable(r) if r.contains("unsigned"))
        );
        assert!(
            matches!(public.to_backend(Visibility::Restricted, Some(&keys)), Backend::S3(b) if b.credentials.is_some())
        );
    }

    #[test]
    fn connections_are_strict_on_what_they_need() {
        let bad = [
            r#"{"read_only":true,"details":{"provider":"s3","bucket":"b","region":"r"}}"#,
            r#"{"data_connection_id":"c","details":{"provider":"s3","bucket":"b","region":"r"}}"#,
            r#"{"data_connection_id":"c","read_only":true}"#,
            r#"{"data_connection_id":"c","read_only":true,"details":{"bucket":"b"}}"#,
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":7,"region":"r"}}"#,
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","region":"r"}}"#,
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b"}}"#,
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b/x","region":"r"}}"#,
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"evil.com/x"}}"#,
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r","endpoint":"ftp://h"}}"#,
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r","endpoint":"https://u@h"}}"#,
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r","endpoint":"https://h/path"}}"#,
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r","endpoint":"https://h?x"}}"#,
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r","base_prefix":"../x"}}"#,
            r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r"},"authentication":"x"}"#,
        ];
        for b in bad {
            assert!(parse_data_connection(b.as_bytes()).is_err(), "{b}");
        }
    }

    #[test]
    fn permissions() {
        let p = parse_permissions(br#"["write","read"]"#).unwrap();
        assert!(p.can_read());
        assert_eq!(p.grants_for("https://idp", "alice").len(), 1);
        assert!(p.grants_for("https://idp", "alice")[0].matches("https://idp", "alice", &[]));
        let none = parse_permissions(b"[]").unwrap();
        assert!(!none.can_read() && none.grants_for("i", "s").is_empty());
        for bad in [&b"{}"[..], b"[1]", b"\"read\"", b"null", b"["] {
            assert!(parse_permissions(bad).is_err());
        }
    }
}
