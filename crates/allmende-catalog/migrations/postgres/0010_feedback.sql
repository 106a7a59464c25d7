-- Feedback from visitors: an error in a dataset ("Fehler melden") or a wish for data ("Daten
-- anfragen"), for a dataset or the portal. It lands with the organization it concerns (none:
-- the sysadmins), which sets a status and may answer publicly. Name and e-mail address are for
-- the organization only.
CREATE TABLE feedback (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    dataset_id       TEXT REFERENCES datasets (id) ON DELETE CASCADE,
    organization_id  TEXT REFERENCES organizations (id) ON DELETE SET NULL,
    message          TEXT NOT NULL,
    name             TEXT,
    email            TEXT,
    status           TEXT NOT NULL,
    public_answer    TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    answered_by      TEXT
);
CREATE INDEX feedback_organization ON feedback (organization_id, status);
CREATE INDEX feedback_dataset ON feedback (dataset_id);
