//! The command line: argument parsing, and the exit code contract every
//! subcommand keeps: 0 success, 1 the thing checked failed (an invalid token,
//! a broadening trust change), 2 usage, I/O or network error.

// A command line answers on stdout and stderr (the Worker logs through `log`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod fetch;
mod roles;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "oidc-data-proxy",
    version,
    about = "Token verification and trust-change review for oidc-data-proxy"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Verify an ID token against a pinned issuer's published keys; print its claims as JSON.
    Verify(verify::Args),
    /// The STS role configuration.
    #[command(subcommand)]
    Roles(RolesCmd),
}

#[derive(Subcommand)]
enum RolesCmd {
    /// Classify every change between two role configurations as narrowing, neutral or broadening.
    Diff(roles::DiffArgs),
}

/// Why a command did not succeed. `Failed` is the checked thing's fault (exit
/// 1); `Error` means nothing could be decided (exit 2).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Failed(String),
    Error(String),
}

impl Outcome {
    fn code(&self) -> u8 {
        match self {
            Self::Failed(_) => 1,
            Self::Error(_) => 2,
        }
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap exits 2 on usage errors, 0 for --help/--version: the same contract.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let (name, result) = match cli.cmd {
        Cmd::Verify(args) => ("verify", verify::run(&args)),
        Cmd::Roles(RolesCmd::Diff(args)) => ("roles diff", roles::run(&args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(o) => {
            let (kind, msg) = match &o {
                Outcome::Failed(m) if name == "verify" => ("invalid", m),
                Outcome::Failed(m) => ("refused", m),
                Outcome::Error(m) => ("error", m),
            };
            // One line, whatever the message holds (remote text included).
            let line: String = msg.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
            eprintln!("oidc-data-proxy {name}: {kind}: {line}");
            ExitCode::from(o.code())
        }
    }
}
