-- Showcases ("Anwendungen"): apps, visualisations and articles built with the portal's data,
-- proposed by anyone and shown once a sysadmin or an admin of an organization whose data they
-- use has approved them. The proposer's e-mail address is for the moderators only.
CREATE TABLE showcases (
    id               TEXT PRIMARY KEY,
    title            TEXT NOT NULL,
    url              TEXT NOT NULL,
    description      TEXT NOT NULL,
    submitter_name   TEXT NOT NULL,
    submitter_email  TEXT,
    status           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    reviewed_at      TEXT,
    reviewed_by      TEXT
);
CREATE INDEX showcases_status ON showcases (status, created_at);
CREATE TABLE showcase_datasets (
    showcase_id  TEXT NOT NULL REFERENCES showcases (id) ON DELETE CASCADE,
    dataset_id   TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    PRIMARY KEY (showcase_id, dataset_id)
);
CREATE INDEX showcase_datasets_dataset ON showcase_datasets (dataset_id);
