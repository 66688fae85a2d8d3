//! Authorization (S9). The foundation knows anonymous callers only; sessions
//! and grants arrive with STS.

use crate::catalog::{Product, Visibility};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
}

impl Principal {
    /// For logs: never the raw subject.
    pub fn log_name(&self) -> &'static str {
        match self {
            Principal::Anonymous => "anonymous",
        }
    }
}

/// May the caller read the product's objects (and list inside it)?
pub fn can_read(principal: &Principal, product: &Product) -> bool {
    match principal {
        Principal::Anonymous => matches!(product.visibility, Visibility::Public | Visibility::Unlisted),
    }
}

/// Does the product appear in account-level listings for this caller?
pub fn is_listed(principal: &Principal, product: &Product) -> bool {
    match principal {
        Principal::Anonymous => product.visibility == Visibility::Public,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: Visibility) -> Product {
        Product {
            name: "p".into(),
            visibility: v,
            backend: "b".into(),
            prefix: String::new(),
        }
    }

    #[test]
    fn anonymous_reads_public_and_unlisted_only() {
        let a = Principal::Anonymous;
        assert!(can_read(&a, &p(Visibility::Public)));
        assert!(can_read(&a, &p(Visibility::Unlisted)));
        assert!(!can_read(&a, &p(Visibility::Restricted)));
        assert!(is_listed(&a, &p(Visibility::Public)));
        assert!(!is_listed(&a, &p(Visibility::Unlisted)));
        assert!(!is_listed(&a, &p(Visibility::Restricted)));
    }
}
