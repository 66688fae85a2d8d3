//! The S3 protocol surface: ranges, conditionals, listing and XML documents.

pub mod conditional;
pub mod headers;
pub mod keyspace;
pub mod list;
pub mod list_model;
pub mod range;
pub mod selectors;
pub mod token;
pub mod walk;
pub mod xml;
