-- Following a dataset by e-mail: a visitor asks, confirms by the link in a first mail (double
-- opt-in), and gets a mail when the public dataset changed (its record's updated_at moved)
-- and has been quiet for a while. The token in the links confirms or ends this one
-- subscription only; ending it deletes the row. Unconfirmed requests are deleted after a
-- week. `notified_updated` is the dataset's updated_at the subscriber last heard of.
CREATE TABLE subscriptions (
    id                 TEXT PRIMARY KEY,
    dataset_id         TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    email              TEXT NOT NULL,
    lang               TEXT NOT NULL,
    token              TEXT NOT NULL UNIQUE,
    created_at         TEXT NOT NULL,
    confirm_sent_at    TEXT,
    confirmed_at       TEXT,
    notified_updated   TEXT,
    notified_at        TEXT,
    UNIQUE (dataset_id, email)
);
CREATE INDEX subscriptions_dataset ON subscriptions (dataset_id, confirmed_at);
-- A showcase's picture, uploaded with the proposal (PNG, JPEG or WebP) into the file store.
ALTER TABLE showcases ADD COLUMN image_sha256 TEXT;
ALTER TABLE showcases ADD COLUMN image_media_type TEXT;
