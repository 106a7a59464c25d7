use allmende_core::FieldErrors;

/// What can go wrong in the catalog layer; the web layer maps each kind to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("not found")]
    NotFound,
    /// A unique value is already taken; names the field (`slug`, `name`).
    #[error("{0} already exists")]
    Conflict(String),
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// The database cannot be reached or is overloaded; worth retrying later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The database was migrated by a newer Allmende than this binary.
    #[error("database schema version {found} is newer than this binary supports ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("unsupported database URL `{0}`: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("file storage: {0}")]
    Storage(#[from] std::io::Error),
    /// A stored value could not be read back (hand-edited database, foreign schema).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    #[error("credential hashing failed")]
    Hashing,
}

impl From<sqlx::Error> for CatalogError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => CatalogError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                let msg = db.message().to_string();
                let constraint = db.constraint().unwrap_or_default().to_string();
                let field = ["slug", "token_hash", "name"]
                    .into_iter()
                    .find(|f| msg.contains(f) || constraint.contains(f))
                    .unwrap_or("id");
                CatalogError::Conflict(field.to_string())
            }
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => CatalogError::Unavailable(e.to_string()),
            sqlx::Error::Database(db) if is_transient(db.code().as_deref()) => {
                CatalogError::Unavailable(e.to_string())
            }
            _ => CatalogError::Database(e),
        }
    }
}

/// SQLite busy/locked and PostgreSQL shutdown/connection-failure codes.
fn is_transient(code: Option<&str>) -> bool {
    match code {
        // Connection exceptions (class 08).
        Some(c) if c.starts_with("08") => true,
        // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_BUSY_SNAPSHOT; PostgreSQL admin/crash shutdown,
        // cannot connect now, too many connections, database not accepting connections.
        Some(c) => matches!(
            c,
            "5" | "6" | "517" | "57P01" | "57P02" | "57P03" | "53300" | "55000"
        ),
        None => false,
    }
}
