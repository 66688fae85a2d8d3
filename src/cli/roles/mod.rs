//! `roles diff OLD NEW`: the trust-change review (docs/GOVERNANCE.md).

mod contain;
mod diff;
mod load;
mod report;

use std::path::{Path, PathBuf};

use oidc_data_proxy::error::chain;

use super::Outcome;

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The configuration before: a wrangler.toml (every environment's vars), or a JSON file
    /// holding the ROLES array. An empty file is "no roles".
    old: PathBuf,
    /// The configuration after, in either form.
    new: PathBuf,
    /// Exit 0 even when trust broadens (the report still says so).
    #[arg(long)]
    accept_broadening: bool,
    /// A file of approved digests (`sha256:...` lines; `#` starts a comment): exit 0 when it
    /// lists the digest of exactly this diff's broadening changes.
    #[arg(long, value_name = "FILE")]
    approvals: Option<PathBuf>,
}

pub fn run(args: &DiffArgs) -> Result<(), Outcome> {
    let old = load::load(&args.old).map_err(|e| Outcome::Error(chain(&e)))?;
    let new = load::load(&args.new).map_err(|e| Outcome::Error(chain(&e)))?;
    let findings = diff::diff(&old, &new);
    let digest = report::digest(&findings);
    let approved_by = match (&digest, &args.approvals) {
        (Some(d), Some(path)) if approvals(path)?.iter().any(|a| a == d) => {
            Some(format!("{d} is listed in {}", path.display()))
        }
        (Some(_), _) if args.accept_broadening => Some("--accept-broadening".into()),
        _ => None,
    };
    let header = report::Header {
        old: &args.old.display().to_string(),
        new: &args.new.display().to_string(),
        approved_by: approved_by.clone(),
    };
    print!("{}", report::markdown(&header, &findings, &new));
    match digest {
        Some(d) if approved_by.is_none() => {
            let n = findings.iter().filter(|f| f.class == diff::Class::Broadening).count();
            Err(Outcome::Failed(format!("{n} broadening change(s), not approved ({d})")))
        }
        _ => Ok(()),
    }
}

fn approvals(path: &Path) -> Result<Vec<String>, Outcome> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Outcome::Error(format!("--approvals {}: {e}", path.display())))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect())
}
