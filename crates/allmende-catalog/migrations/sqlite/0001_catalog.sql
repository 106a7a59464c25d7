-- Portable schema: UUIDs, timestamps (RFC 3339 UTC, fixed width) and JSON are TEXT, flags are
-- BIGINT 0/1. The PostgreSQL twin in ../postgres must keep the same tables and columns.

CREATE TABLE organizations (
    id              TEXT PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    website         TEXT,
    email           TEXT,
    ags             TEXT,
    org_type        TEXT NOT NULL,
    logo_sha256     TEXT,
    logo_media_type TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT,
    password_hash TEXT NOT NULL,
    sysadmin      BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE memberships (
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);
CREATE INDEX memberships_org ON memberships (organization_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE datasets (
    id               TEXT PRIMARY KEY,
    slug             TEXT NOT NULL UNIQUE,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    title            TEXT NOT NULL,
    description      TEXT NOT NULL,
    keywords         TEXT NOT NULL DEFAULT '[]',
    themes           TEXT NOT NULL DEFAULT '[]',
    license          TEXT NOT NULL,
    contact_name     TEXT,
    contact_email    TEXT,
    maintainer_name  TEXT,
    maintainer_email TEXT,
    issued           TEXT,
    modified         TEXT,
    temporal_start   TEXT,
    temporal_end     TEXT,
    spatial_name     TEXT,
    spatial_ags      TEXT,
    spatial_bbox     TEXT,
    frequency        TEXT,
    languages        TEXT NOT NULL DEFAULT '["DEU"]',
    landing_page     TEXT,
    version          TEXT,
    visibility       TEXT NOT NULL,
    deleted          BIGINT NOT NULL DEFAULT 0,
    extras           TEXT NOT NULL DEFAULT '{}',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX datasets_org ON datasets (organization_id);
CREATE INDEX datasets_updated ON datasets (updated_at);

-- Normalised copies of the JSON lists, for filters and counts in portable SQL.
CREATE TABLE dataset_themes (
    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    theme      TEXT NOT NULL,
    PRIMARY KEY (dataset_id, theme)
);
CREATE INDEX dataset_themes_theme ON dataset_themes (theme);

CREATE TABLE dataset_keywords (
    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    keyword    TEXT NOT NULL,
    PRIMARY KEY (dataset_id, keyword)
);
CREATE INDEX dataset_keywords_keyword ON dataset_keywords (keyword);

CREATE TABLE resources (
    id             TEXT PRIMARY KEY,
    dataset_id     TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    url            TEXT,
    sha256         TEXT,
    file_name      TEXT,
    format         TEXT,
    media_type     TEXT,
    byte_size      BIGINT,
    license        TEXT,
    position       BIGINT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'none',
    status_message TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX resources_dataset ON resources (dataset_id, position);
CREATE INDEX resources_sha256 ON resources (sha256);

CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action    TEXT NOT NULL,
    at        TEXT NOT NULL
);
