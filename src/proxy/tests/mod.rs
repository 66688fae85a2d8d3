//! Whole requests through `handle` on the in-memory runtime, one file per theme.

mod cache;
mod federation;
mod http;
mod list;
mod list_model;
mod log;
mod perf;
mod pipeline;
mod s3_backend;
mod selectors;
mod signed;
