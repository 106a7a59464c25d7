//! Allmende's domain model: the catalog types every other crate speaks, the controlled
//! vocabularies of DCAT-AP.de, and validation of what publishers submit.
//!
//! This crate has no I/O. Storage lives in `allmende-catalog`, HTTP in `allmende-web`.

pub mod authz;
pub mod i18n;
pub mod model;
pub mod slug;
pub mod time;
pub mod validate;
pub mod vocab;

pub use model::*;
pub use validate::{FieldError, FieldErrors};
