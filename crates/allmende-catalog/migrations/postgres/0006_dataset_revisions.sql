-- The history of a dataset's metadata: every create and update writes the fields as stored
-- (JSON), who changed them and when, in the transaction of the change. The publisher sees
-- field-level differences between consecutive revisions and may restore an earlier one
-- (which is a new revision). Datasets older than this table start their history with their
-- next change.
CREATE TABLE dataset_revisions (
    id          TEXT PRIMARY KEY,
    dataset_id  TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    revision    BIGINT NOT NULL,
    at          TEXT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT,
    fields      TEXT NOT NULL,
    UNIQUE (dataset_id, revision)
);
