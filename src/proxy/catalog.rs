//! The catalog as one request sees it: which products and accounts this
//! caller may read or see listed. The static catalog answers from
//! memory; the HTTP catalog is asked as the caller, with a token minted for
//! them, through the identity-scoped caches.

use super::Ctx;
use crate::apart::apart;
use crate::authz::{self, Principal};
use crate::catalog::http::{BearerSource, CallContext, CatalogError, HttpCatalog, Identity, PlatformCache};
use crate::catalog::{Catalog, Product, Resolved, Visibility};
use crate::error::{Detail, ProxyError, Result};
use crate::oidc::provider::MintRequest;
use crate::platform::Platform;
use crate::secret::Secret;

/// Mints (or reuses) the bearer token for the caller, only when a catalog
/// call actually goes out.
struct Minted<'a, P: Platform> {
    ctx: &'a Ctx<'a, P>,
    audience: &'a str,
}

impl<P: Platform> BearerSource for Minted<'_, P> {
    async fn bearer(&self) -> Result<Option<Secret>> {
        let (cfg, state) = (self.ctx.cfg, self.ctx.state);
        let (Some(keys), Some(signer)) = (cfg.provider.as_ref(), state.signer.as_ref()) else {
            return Err(ProxyError::Misconfigured(
                "HTTP catalog without the OIDC provider".into(),
            ));
        };
        let req = match &self.ctx.principal {
            Principal::Anonymous => MintRequest::anonymous(self.audience),
            Principal::Session(s) => MintRequest::session(&s.subject, self.audience, &s.role, &s.issuer),
        };
        let now = self.ctx.p.now_ms().div_euclid(1000);
        let token = state
            .tokens
            .token(signer, keys, &req, now)
            .await
            .map_err(|e| ProxyError::Unavailable(Detail::caused("minting the catalog token", e)))?;
        Ok(Some(Secret::from(token)))
    }
}

fn identity(principal: &Principal) -> Identity<'_> {
    match principal {
        Principal::Anonymous => Identity::Anonymous,
        Principal::Session(s) => Identity::Principal {
            issuer: &s.issuer,
            subject: &s.subject,
            role: &s.role,
        },
    }
}

/// `NotFound` means absent for this caller; everything else is an error.
fn found<T>(r: std::result::Result<T, CatalogError>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(CatalogError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl<P: Platform> Ctx<'_, P> {
    pub fn catalog(&self) -> Result<&Catalog> {
        self.cfg
            .catalog
            .as_ref()
            .map_err(|e| ProxyError::Misconfigured(Detail::caused("catalog disabled", e.clone())))
    }

    /// Runs `f` with a call context for the HTTP catalog, as this caller.
    async fn with_http<T>(
        &self,
        h: &HttpCatalog,
        f: impl AsyncFnOnce(&CallContext<'_, P, PlatformCache<'_, P>, Minted<'_, P>>) -> T,
    ) -> T {
        let shared = PlatformCache(self.p);
        let bearer = Minted {
            ctx: self,
            audience: h.audience(),
        };
        let cx = CallContext {
            platform: self.p,
            memory: &self.state.catalog_answers,
            shared: &shared,
            bearer: &bearer,
            identity: identity(&self.principal),
            now: self.p.now_ms().div_euclid(1000),
        };
        f(&cx).await
    }

    /// The product, if this caller may read it; `None` answers exactly like a
    /// product that does not exist, and no backend is asked.
    pub async fn readable(&self, account: &str, product: &str) -> Result<Option<Resolved>> {
        if !authz::ceiling_allows(&self.principal, account, product) {
            return Ok(None);
        }
        let r = match self.catalog()? {
            Catalog::Static(c) => c.resolve(account, product),
            // Compiled apart: a static catalog's request never runs it.
            Catalog::Http(h) => {
                found(apart(self.with_http(h, async |cx| h.resolve(cx, account, product).await)).await)?
            }
        };
        Ok(r.filter(|r| authz::can_read(&self.principal, account, &r.product)))
    }

    /// Names of the products listed for this caller, in key order; `None`
    /// when the account does not exist.
    pub async fn listed_products(&self, account: &str) -> Result<Option<Vec<String>>> {
        self.products_where(account, true, usize::MAX).await
    }

    /// An account exists for a caller when it holds a product they may read,
    /// so an account of restricted products only does not leak its existence.
    pub async fn account_visible(&self, account: &str) -> Result<bool> {
        Ok(self
            .products_where(account, false, 1)
            .await?
            .is_some_and(|v| !v.is_empty()))
    }

    /// Accounts for ListBuckets. The HTTP contract cannot enumerate
    /// accounts, so there it is empty.
    pub async fn visible_accounts(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        if let Catalog::Static(c) = self.catalog()? {
            for account in c.account_names() {
                if authz::policy_reaches_account(&self.principal, account) && self.account_visible(account).await? {
                    names.push(account.to_string());
                }
            }
        }
        Ok(names)
    }

    /// Up to `limit` products of `account` this caller may read (and, with
    /// `listed_only`, that are not unlisted), in key order.
    async fn products_where(&self, account: &str, listed_only: bool, limit: usize) -> Result<Option<Vec<String>>> {
        let principal = &self.principal;
        let shown = |p: &Product| match listed_only {
            true => authz::is_listed(principal, account, p),
            false => authz::can_read(principal, account, p),
        };
        match self.catalog()? {
            Catalog::Static(c) => Ok(c.products(account).map(|ps| {
                ps.into_iter()
                    .filter(|p| shown(p))
                    .take(limit)
                    .map(|p| p.name.clone())
                    .collect()
            })),
            Catalog::Http(h) => {
                self.with_http(h, async |cx| {
                    let Some(list) = found(h.list_products(cx, account).await)? else {
                        return Ok(None);
                    };
                    let mut names = Vec::new();
                    for s in list {
                        if names.len() >= limit {
                            break;
                        }
                        let skip = (listed_only && s.visibility == Visibility::Unlisted)
                            || !authz::ceiling_allows(principal, account, &s.name);
                        if skip {
                            continue;
                        }
                        // Restricted: only with `read` in this caller's permissions.
                        let grants = match (s.visibility, cx.identity) {
                            (Visibility::Restricted, Identity::Principal { issuer, subject, .. }) => {
                                match h.permissions(cx, account, &s.name).await {
                                    Ok(p) => p.grants_for(issuer, subject),
                                    Err(CatalogError::NotFound | CatalogError::Denied(_)) => continue,
                                    Err(e) => return Err(e.into()),
                                }
                            }
                            _ => Vec::new(),
                        };
                        let product = Product {
                            name: s.name,
                            visibility: s.visibility,
                            backend: String::new(),
                            prefix: String::new(),
                            grants,
                            cache: Default::default(),
                        };
                        if shown(&product) {
                            names.push(product.name);
                        }
                    }
                    Ok(Some(names))
                })
                .await
            }
        }
    }
}
