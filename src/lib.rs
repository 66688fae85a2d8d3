//! oidc-data-proxy: a read-only S3-compatible data proxy for Cloudflare Workers.
//!
//! Everything outside `edge` is runtime-agnostic and tested natively; `edge`
//! adapts it to the Workers runtime (wasm32 only). See docs/ARCHITECTURE.md.

// Production code never panics: bad input gets an S3 or STS error. (Tests may.)
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod adapter;
pub mod apart;
pub mod authz;
pub mod backend;
pub mod bounded;
pub mod catalog;
pub mod config;
pub mod cors;
pub mod error;
pub mod http;
pub mod json;
pub mod log;
pub mod objcache;
pub mod oidc;
pub mod platform;
pub mod proxy;
pub mod route;
pub mod s3;
pub mod secret;
pub mod session;
pub mod sigv4;
pub mod sort;
pub mod state;
pub mod stats;
pub mod sts;
pub mod time;

#[cfg(target_arch = "wasm32")]
mod edge;

// The fuzz targets (fuzz/) drive whole requests through it too.
#[cfg(any(test, feature = "testing"))]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test support, never in the Worker
pub mod testing;
