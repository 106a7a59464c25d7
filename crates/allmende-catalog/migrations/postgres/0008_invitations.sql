-- An invitation: an account made by an organization admin, waiting for its owner to choose a
-- password through a one-time link. Only the link's hash is kept; using the link, or a newer
-- invitation for the same account, removes the row.
CREATE TABLE invitations (
    secret_hash  TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by   TEXT,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX invitations_user ON invitations (user_id);
