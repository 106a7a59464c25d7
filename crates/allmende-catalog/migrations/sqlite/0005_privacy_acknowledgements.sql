-- Publishing safely: an organization admin may let a file with high privacy findings out by
-- acknowledging each finding with a reason. An acknowledgement holds for one file (its
-- checksum): a replaced file is checked afresh. Every acknowledgement, publication and
-- release of a held file is written to the audit log, which only sysadmins read.
CREATE TABLE privacy_acknowledgements (
    id            TEXT PRIMARY KEY,
    resource_id   TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    source_sha256 TEXT NOT NULL,
    column_name   TEXT NOT NULL,
    rule          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    user_id       TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (resource_id, source_sha256, column_name, rule)
);

-- Scan before serve: a table's new file on a public dataset is withheld (metadata shown, file
-- not served) until its privacy check is clean or acknowledged.
ALTER TABLE resources ADD COLUMN withheld BIGINT NOT NULL DEFAULT 0;

-- The link checker's last answer for a link resource (HTTP status, 0 when it did not answer),
-- for the accessibility indicators of the metadata quality score.
ALTER TABLE resources ADD COLUMN link_status BIGINT;
ALTER TABLE resources ADD COLUMN link_checked_at TEXT;

CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    at           TEXT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT,
    detail       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);

-- The release checklist a publisher confirms at a dataset's first publication (no personal
-- data, no trade or business secrets, third-party rights cleared, licence applicable), with
-- who and when. Datasets published before the checklist existed count as released.
ALTER TABLE datasets ADD COLUMN released_at TEXT;
ALTER TABLE datasets ADD COLUMN released_by TEXT;
ALTER TABLE datasets ADD COLUMN release_checklist TEXT;
UPDATE datasets SET released_at = updated_at WHERE visibility = 'public';
