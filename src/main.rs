//! `oidc-data-proxy`: the native command line next to the Worker
//! (docs/GOVERNANCE.md). `verify` checks a token the way a relying party
//! should; `roles diff` reviews a change to the STS roles. Native only: the
//! Worker is the library, built for wasm32 without any of this.

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

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

// A wasm32 build of every target (e.g. `cargo check --target wasm32-unknown-unknown
// --all-targets`) must still compile; the command itself has no use there.
#[cfg(target_arch = "wasm32")]
fn main() {}
