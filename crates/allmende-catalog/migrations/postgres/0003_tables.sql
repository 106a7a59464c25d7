-- Table snapshots of tabular resources (the data plane). One row per ingested version; the
-- resource points at the version it serves, so a new upload replaces the old table only once
-- it is complete and older versions stay downloadable.
CREATE TABLE table_versions (
    id             TEXT PRIMARY KEY,
    resource_id    TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    version        BIGINT NOT NULL,
    source_sha256  TEXT NOT NULL,
    source_name    TEXT,
    options        TEXT NOT NULL DEFAULT '{}',
    status         TEXT NOT NULL,
    job_id         TEXT,
    progress_rows  BIGINT NOT NULL DEFAULT 0,
    parquet_sha256 TEXT,
    parquet_size   BIGINT,
    row_count      BIGINT,
    report         TEXT,
    message        TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (resource_id, version)
);
CREATE INDEX table_versions_job ON table_versions (job_id);

ALTER TABLE resources ADD COLUMN table_version TEXT;
-- The name SQL queries use; assigned once, stable afterwards.
ALTER TABLE resources ADD COLUMN table_name TEXT;
CREATE UNIQUE INDEX resources_table_name ON resources (table_name);
