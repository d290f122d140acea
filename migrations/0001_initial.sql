-- Vault format 1: one vault row, passphrase slots that wrap the data key, sealed records.
-- See docs/FORMAT.md. Never edit this file once shipped; add 0002_... instead.

PRAGMA application_id = 1415009841; -- 'TWV1'

-- Exactly one row: the vault's random id and the vault-wide MAC.
CREATE TABLE vault (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    vault_id   BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    mac        BLOB    NOT NULL
) STRICT;

-- One row per passphrase; each wraps the same data key.
CREATE TABLE slot (
    label       TEXT    PRIMARY KEY NOT NULL,
    algorithm   INTEGER NOT NULL,
    ops_limit   INTEGER NOT NULL,
    mem_limit   INTEGER NOT NULL,
    salt        BLOB    NOT NULL,
    wrapped_key BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

-- One sealed record per (profile, kind). Only the names and the time stay in clear.
CREATE TABLE record (
    profile    TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    sealed     BLOB    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (profile, kind)
) STRICT, WITHOUT ROWID;

-- Lets `list` read profile names without touching the sealed blobs.
CREATE INDEX record_by_kind ON record (kind, profile);
