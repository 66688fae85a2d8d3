//! Roles: who may exchange which ID tokens, for what, for how long.
//! Built from `AUTH_ISSUER`/`AUTH_AUDIENCE` (`_default`) and `ROLES` (JSON).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::ceiling::{Ceiling, CeilingError};
use super::limits::{self, LimitError};
use super::params::{role_name, DEFAULT_DURATION, MIN_DURATION};
use super::StsError;
use crate::error::chain;
use crate::json::{self, Obj};
use crate::oidc::conditions::{all_hold, Condition};

pub const DEFAULT_ROLE: &str = "_default";
/// AWS's ceiling for role sessions.
pub const MAX_DURATION: u32 = 43_200;

// What one configuration may hold. Every exchange looks through a role's
// issuers, audiences and conditions (a glob costs one pass over the claim,
// a 64-state word per 64 pattern chars), every signed request through its
// ceiling, so each is bounded;
// far above what a real role lists. AWS allows 100 audiences (client ids)
// per identity provider and a handful of conditions per trust policy.
/// Roles in `ROLES`; later ones are disabled.
pub const MAX_ROLES: usize = 64;
pub const MAX_ISSUERS: usize = 8;
pub const MAX_AUDIENCES: usize = 32;
pub const MAX_BINDINGS: usize = 16;
/// Conditions in one binding.
pub const MAX_CONDITIONS: usize = 16;
/// The value a condition compares with (a glob's pattern).
pub const MAX_CONDITION_VALUE_BYTES: usize = 256;
/// Ceiling patterns (the session token bounds their bytes too, see `limits`).
pub const MAX_CEILING_PATTERNS: usize = 64;
/// Claims an exchange's audit line may carry, and the longest name.
pub const MAX_AUDIT_CLAIMS: usize = 16;
pub const MAX_AUDIT_CLAIM_NAME_BYTES: usize = 64;
/// What a role records of a token when it does not say (`audit_claims`):
/// the claims that tie a GitHub Actions token to the run that asked for it.
/// Another issuer's tokens simply lack most of them; a missing claim is left out.
pub const DEFAULT_AUDIT_CLAIMS: [&str; 8] = [
    "repository",
    "ref",
    "sha",
    "workflow_ref",
    "job_workflow_ref",
    "run_id",
    "run_attempt",
    "check_run_id",
];

fn default_audit_claims() -> Vec<String> {
    DEFAULT_AUDIT_CLAIMS.iter().map(ToString::to_string).collect()
}

#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub issuers: Vec<String>,
    pub audiences: Vec<String>,
    /// Any binding suffices; every condition of a binding must hold. None: no conditions.
    pub bindings: Vec<Vec<Condition>>,
    pub ceiling: Ceiling,
    /// The ceiling as configured, sealed into sessions.
    pub ceiling_patterns: Vec<String>,
    pub max_duration: u32,
    /// Claims copied into the session, for catalog grants.
    pub pass_claims: Vec<String>,
    /// Claims written to the exchange's audit line (never sealed).
    pub audit_claims: Vec<String>,
}

struct RoleDoc {
    name: String,
    issuers: Vec<String>,
    audiences: Vec<String>,
    bindings: Vec<Vec<Condition>>,
    ceiling: Vec<String>,
    max_duration: Option<u32>,
    pass_claims: Vec<String>,
    audit_claims: Option<Vec<String>>,
}

/// One role of `ROLES`, read by hand (src/json.rs): unknown fields are refused.
fn role_doc(v: Value) -> json::Result<RoleDoc> {
    let mut o = Obj::new(v)?;
    let d = RoleDoc {
        name: o.req_str("name")?,
        issuers: o.req("issuers", json::strings)?,
        audiences: o.req("audiences", json::strings)?,
        bindings: o.or_default("bindings", |v| json::list(v, |v| json::list(v, Condition::from_value)))?,
        ceiling: o.req("ceiling", json::strings)?,
        max_duration: o.opt("max_duration", json::u32)?,
        pass_claims: o.or_default("pass_claims", json::strings)?,
        audit_claims: o.opt("audit_claims", json::strings)?,
    };
    o.end()?;
    Ok(d)
}

impl Role {
    pub fn claims_accepted(&self, claims: &Map<String, Value>) -> bool {
        self.bindings.is_empty() || self.bindings.iter().any(|b| all_hold(b, claims))
    }

    /// The session length: requested (900 … max) or the default, capped by the role.
    pub fn duration(&self, requested: Option<u32>) -> Result<u32, StsError> {
        match requested {
            None => Ok(DEFAULT_DURATION.min(self.max_duration)),
            Some(d) if (MIN_DURATION..=self.max_duration).contains(&d) => Ok(d),
            Some(_) => Err(StsError::Validation(
                "DurationSeconds exceeds the role's maximum session duration.",
            )),
        }
    }

    fn from_doc(d: RoleDoc) -> Result<Self, RoleError> {
        if role_name(&d.name) != Some(d.name.as_str()) || d.name == DEFAULT_ROLE {
            return Err(RoleError::Name(d.name));
        }
        let name = d.name;
        let err = |problem| RoleError::Invalid {
            role: name.clone(),
            problem,
        };
        let counts = [
            ("issuers", d.issuers.len(), MAX_ISSUERS),
            ("audiences", d.audiences.len(), MAX_AUDIENCES),
            ("bindings", d.bindings.len(), MAX_BINDINGS),
            ("ceiling patterns", d.ceiling.len(), MAX_CEILING_PATTERNS),
        ];
        if let Some((what, n, max)) = counts.iter().find(|(_, n, max)| n > max) {
            return Err(err(RoleProblem::TooMany { what, n: *n, max: *max }));
        }
        if d.bindings.iter().any(|b| b.len() > MAX_CONDITIONS) {
            return Err(err(RoleProblem::LongBinding));
        }
        if d.bindings
            .iter()
            .flatten()
            .any(|c| c.value.len() > MAX_CONDITION_VALUE_BYTES)
        {
            return Err(err(RoleProblem::LongValue));
        }
        if d.issuers.is_empty() || d.issuers.iter().any(String::is_empty) {
            return Err(err(RoleProblem::NoIssuers));
        }
        // Fail closed: a role without an audience would accept tokens meant for anyone.
        if d.audiences.is_empty() || d.audiences.iter().any(String::is_empty) {
            return Err(err(RoleProblem::NoAudiences));
        }
        let ceiling = Ceiling::parse(&d.ceiling).map_err(|e| err(RoleProblem::Ceiling(e)))?;
        let max_duration = d.max_duration.unwrap_or(DEFAULT_DURATION);
        if !(MIN_DURATION..=MAX_DURATION).contains(&max_duration) {
            return Err(err(RoleProblem::MaxDuration));
        }
        if d.bindings.iter().any(Vec::is_empty) {
            return Err(err(RoleProblem::EmptyBinding));
        }
        let audit_claims = d.audit_claims.unwrap_or_else(default_audit_claims);
        if audit_claims.len() > MAX_AUDIT_CLAIMS {
            return Err(err(RoleProblem::TooManyAuditClaims));
        }
        for (i, c) in audit_claims.iter().enumerate() {
            if c.is_empty() || c.len() > MAX_AUDIT_CLAIM_NAME_BYTES || audit_claims[..i].contains(c) {
                return Err(err(RoleProblem::AuditClaimName));
            }
        }
        let role = Role {
            name,
            issuers: d.issuers,
            audiences: d.audiences,
            bindings: d.bindings,
            ceiling,
            ceiling_patterns: d.ceiling,
            max_duration,
            pass_claims: d.pass_claims,
            audit_claims,
        };
        limits::check_role(&role)?;
        Ok(role)
    }
}

/// Why a role of `ROLES` is disabled.
#[derive(Clone, thiserror::Error)]
pub enum RoleError {
    #[error("role #{index}")]
    Json {
        index: usize,
        #[source]
        source: json::FieldError,
    },
    #[error("invalid role name {0:?}")]
    Name(String),
    #[error("role {role}")]
    Invalid {
        role: String,
        #[source]
        problem: RoleProblem,
    },
    #[error(transparent)]
    Limits(#[from] LimitError),
}

crate::error::debug_as_display!(RoleError);

#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleProblem {
    #[error("{n} {what}, at most {max}")]
    TooMany { what: &'static str, n: usize, max: usize },
    #[error("a binding has more than {MAX_CONDITIONS} conditions")]
    LongBinding,
    #[error("a condition's value is longer than {MAX_CONDITION_VALUE_BYTES} bytes")]
    LongValue,
    #[error("needs trusted issuers")]
    NoIssuers,
    #[error("needs audiences")]
    NoAudiences,
    #[error(transparent)]
    Ceiling(CeilingError),
    #[error("max_duration must be {MIN_DURATION}..={MAX_DURATION}")]
    MaxDuration,
    #[error("an empty binding would accept every token")]
    EmptyBinding,
    #[error("at most {MAX_AUDIT_CLAIMS} audit_claims")]
    TooManyAuditClaims,
    #[error("audit_claims names must be distinct, 1..={MAX_AUDIT_CLAIM_NAME_BYTES} bytes")]
    AuditClaimName,
}

crate::error::debug_as_display!(RoleProblem);

#[derive(Debug, Default)]
pub struct Roles {
    roles: BTreeMap<String, Role>,
    /// `_default` is asked for but has no audience: answer 501, not "unknown role".
    default_unconfigured: bool,
    /// No `AUTH_AUDIENCE`: the whole exchange answers 501 (fail closed).
    disabled: bool,
}

impl Roles {
    /// Never fails: invalid roles are left out and reported.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> (Self, Vec<String>) {
        let mut warnings = Vec::new();
        let mut roles = BTreeMap::new();
        let issuer = env("AUTH_ISSUER")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let audiences: Vec<String> = env("AUTH_AUDIENCE")
            .unwrap_or_default()
            .split(',')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect();
        let mut default_unconfigured = false;
        let audiences_missing = audiences.is_empty();
        match (issuer, audiences.is_empty()) {
            (Some(iss), false) => {
                let role = Role {
                    name: DEFAULT_ROLE.into(),
                    issuers: vec![iss],
                    audiences,
                    bindings: Vec::new(),
                    ceiling: Ceiling::parse(&["*".to_string()]).unwrap_or_default(),
                    ceiling_patterns: vec!["*".into()],
                    max_duration: MAX_DURATION,
                    pass_claims: Vec::new(),
                    audit_claims: default_audit_claims(),
                };
                match limits::check_role(&role) {
                    Ok(()) => {
                        roles.insert(DEFAULT_ROLE.to_string(), role);
                    }
                    Err(e) => {
                        default_unconfigured = true;
                        warnings.push(format!("AUTH_ISSUER/AUTH_AUDIENCE: {}", chain(&e)));
                    }
                }
            }
            (Some(_), true) => {
                default_unconfigured = true;
                warnings.push("AUTH_ISSUER is set without AUTH_AUDIENCE: the _default role is disabled".into());
            }
            (None, _) => default_unconfigured = true,
        }
        if let Some(json) = env("ROLES").filter(|s| !s.trim().is_empty()) {
            // A repeated key anywhere refuses the whole text (it is refused before any role is read).
            match json::parse(json.as_bytes()).and_then(|v| Ok(json::array(v)?)) {
                Err(e) => warnings.push(format!("ROLES is not a JSON array: {e}")),
                Ok(items) => {
                    for (i, item) in items.into_iter().enumerate() {
                        if i >= MAX_ROLES {
                            let name = item.get("name").and_then(Value::as_str).unwrap_or("?");
                            warnings.push(format!(
                                "role disabled: role #{i} ({name}): ROLES holds at most {MAX_ROLES} roles"
                            ));
                            continue;
                        }
                        let parsed = role_doc(item)
                            .map_err(|source| RoleError::Json { index: i, source })
                            .and_then(Role::from_doc);
                        match parsed {
                            Ok(r) if roles.contains_key(&r.name) => {
                                warnings.push(format!("role {} defined twice", r.name));
                            }
                            Ok(r) => {
                                roles.insert(r.name.clone(), r);
                            }
                            Err(e) => warnings.push(format!("role disabled: {}", chain(&e))),
                        }
                    }
                }
            }
        }
        let disabled = audiences_missing;
        (
            Roles {
                roles,
                default_unconfigured,
                disabled,
            },
            warnings,
        )
    }

    /// The roles an exchange may assume, by name: none while the exchange is
    /// disabled (no `AUTH_AUDIENCE`). What `oidc-data-proxy roles diff` compares.
    pub fn active(&self) -> impl Iterator<Item = &Role> {
        self.roles.values().filter(|_| !self.disabled)
    }

    /// Whether any exchange can succeed (shown in the service document).
    pub fn enabled(&self) -> bool {
        !self.disabled && !self.roles.is_empty()
    }

    pub fn get(&self, name: &str) -> Result<&Role, StsError> {
        if self.disabled {
            return Err(StsError::NotImplemented(
                "The security token service needs AUTH_AUDIENCE on this deployment.",
            ));
        }
        match self.roles.get(name) {
            Some(r) => Ok(r),
            None if name == DEFAULT_ROLE && self.default_unconfigured => Err(StsError::NotImplemented(
                "The default role is not configured on this deployment.",
            )),
            None => Err(StsError::invalid("The role does not exist or is disabled.")),
        }
    }
}

#[cfg(test)]
mod tests;
