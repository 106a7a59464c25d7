use allmende_catalog::{CatalogError, UploadError};
use allmende_core::FieldErrors;

/// What a use case can answer besides its result; each front door maps these once (the web
/// crate to problem documents and form messages).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing, or not visible to the actor (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// Refused to an anonymous actor: signing in may help.
    #[error("authentication required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Upload(#[from] UploadError),
    #[error(transparent)]
    Query(#[from] allmende_table::query::QueryError),
    #[error(transparent)]
    Refused(#[from] allmende_work::Refused),
    /// The dataset would become public while files in it hold personal data (high findings of
    /// the privacy check).
    #[error("privacy findings block publication")]
    PrivacyBlocked(Vec<crate::privacy::Blocker>),
    /// The dataset would become public while the privacy check of these files (their titles)
    /// is still running.
    #[error("privacy check still running")]
    PrivacyPending(Vec<String>),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        Self::Internal(e.to_string())
    }
}
