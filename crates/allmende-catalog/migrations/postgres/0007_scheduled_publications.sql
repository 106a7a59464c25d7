-- A publication planned for a date: who planned it, the release checklist they confirmed then,
-- and when it is due. At that time it goes through the same gate as any publication (checklist,
-- privacy findings); done or refused, the row goes and the audit log says which.
CREATE TABLE scheduled_publications (
    dataset_id  TEXT PRIMARY KEY REFERENCES datasets (id) ON DELETE CASCADE,
    due_at      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    checklist   TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL
);
CREATE INDEX scheduled_publications_due ON scheduled_publications (due_at);
