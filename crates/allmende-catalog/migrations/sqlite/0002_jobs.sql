-- A persistent job queue (ingestion and other background work). Workers claim a job
-- atomically; see Backend::claim_job_sql for the PostgreSQL row locking.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}',
    status       TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 5,
    run_after    TEXT NOT NULL,
    locked_by    TEXT,
    locked_at    TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (status, run_after);
