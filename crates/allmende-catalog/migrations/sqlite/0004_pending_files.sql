-- A replacement file of a tabular resource waits in its table version: the resource's file
-- (download, checksum, size) and its served table switch together, in the transaction that
-- completes the version. A failed version leaves the resource as it was.
ALTER TABLE table_versions ADD COLUMN replaces_file BIGINT NOT NULL DEFAULT 0;
ALTER TABLE table_versions ADD COLUMN source_size BIGINT;
ALTER TABLE table_versions ADD COLUMN source_format TEXT;
ALTER TABLE table_versions ADD COLUMN source_media_type TEXT;
