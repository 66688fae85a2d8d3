//! `verify`: botocore's vectors (`vectors`) and S3's rules beyond the signature (`rules`).

mod own;
mod rules;
mod vectors;
