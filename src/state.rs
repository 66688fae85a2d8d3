//! One isolate: its [`Config`], read once and never changed, and beside it
//! the [`IsolateState`], what the isolate accumulates while serving (caches
//! and counters, each bounded). A handler borrows only the parts it uses.

use std::rc::Rc;

use serde_json::json;

use crate::authz::SessionPrincipal;
use crate::backend::federation::FederationCache;
use crate::catalog::http::MemoryCache;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::objcache::inflight::InFlight;
use crate::oidc::provider::{PlatformSigner, TokenCache};
use crate::oidc::JwksCache;
use crate::platform::Platform;
use crate::session::SessionCache;
use crate::stats::IsolateStats;

/// The per-isolate mutable state. Interior mutability throughout: the
/// isolate is single-threaded and no borrow is held across an await.
#[derive(Debug)]
pub struct IsolateState {
    /// Issuers' keys, for STS exchanges.
    pub jwks_cache: JwksCache,
    /// Session tokens opened by signed requests, with their signing keys.
    pub sessions: SessionCache<SessionPrincipal>,
    /// Signs minted tokens with the active key (WebCrypto imports it once).
    pub signer: Option<PlatformSigner>,
    /// Minted tokens, reused per principal while comfortably valid.
    pub tokens: TokenCache,
    /// Temporary credentials of web-identity backends, renewed ahead of expiry.
    pub federation: FederationCache,
    /// The HTTP catalog's answers, per identity (its memory layer).
    pub catalog_answers: MemoryCache,
    /// Edge-cache entries being filled, for coalescing misses (at most
    /// `inflight::MAX_IN_FLIGHT` keys).
    pub inflight: Rc<InFlight>,
    /// Requests counted for the `isolate stats` line.
    pub stats: IsolateStats,
    /// The provider's discovery document and JWKS, serialized once per
    /// isolate: they depend on configuration only.
    pub documents: Option<ProviderDocuments>,
}

/// Bytes of `/.well-known/openid-configuration` and `/.well-known/jwks.json`.
#[derive(Debug)]
pub struct ProviderDocuments {
    pub discovery: Vec<u8>,
    pub jwks: Vec<u8>,
}

impl IsolateState {
    /// Empty caches, sized and keyed by `cfg`.
    pub fn new(cfg: &Config) -> Self {
        IsolateState {
            jwks_cache: JwksCache::default(),
            sessions: SessionCache::default(),
            signer: cfg.provider.as_ref().map(PlatformSigner::new),
            tokens: TokenCache::with_ttl(cfg.token_ttl_secs),
            federation: FederationCache::default(),
            catalog_answers: MemoryCache::default(),
            inflight: Rc::default(),
            stats: IsolateStats::new(cfg.stats_every),
            documents: cfg.provider.as_ref().map(|k| ProviderDocuments {
                discovery: crate::oidc::provider::discovery_json(k).into_bytes(),
                jwks: crate::oidc::provider::jwks_json(k).into_bytes(),
            }),
        }
    }
}

/// What the runtime keeps per isolate.
#[derive(Debug)]
pub struct Isolate {
    pub config: Config,
    pub state: IsolateState,
}

impl Isolate {
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let config = Config::from_env(env);
        let state = IsolateState::new(&config);
        Isolate { config, state }
    }

    /// Counts a finished request for the `isolate stats` line.
    pub fn after_request<P: Platform>(&self, p: &P) {
        self.state
            .stats
            .after_request(p, self.config.log_level, || self.cache_figures());
    }

    /// Each per-isolate cache's entries and bytes against its bounds.
    fn cache_figures(&self) -> serde_json::Value {
        let s = &self.state;
        let catalog = match &self.config.catalog {
            Ok(Catalog::Http(_)) => s.catalog_answers.stats().json(),
            _ => serde_json::Value::Null,
        };
        json!({
            "caches": {
                "jwks": s.jwks_cache.stats().json(),
                "tokens": s.tokens.stats().json(),
                "federation": s.federation.stats().json(),
                "catalog": catalog,
            },
            "object_cache_filling": s.inflight.len(),
            "signatures": s.tokens.signatures(),
            "federation_exchanges": s.federation.exchanges(),
        })
    }
}
