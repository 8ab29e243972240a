-- Shared catalogs: metadata, entries with effective dates and recorded history, successors.
CREATE TABLE catalogs (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    source TEXT NOT NULL,
    fields TEXT NOT NULL,
    code_kind TEXT NOT NULL,
    builtin BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE catalog_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    catalog TEXT NOT NULL REFERENCES catalogs (code),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    parent_code TEXT,
    path TEXT NOT NULL,
    depth BIGINT NOT NULL,
    data TEXT NOT NULL,
    valid_from TEXT,
    valid_to TEXT,
    sample BIGINT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    superseded_at TEXT,
    superseded_by BIGINT
);
CREATE INDEX catalog_entries_code ON catalog_entries (catalog, code);
CREATE INDEX catalog_entries_parent ON catalog_entries (catalog, parent_code);
CREATE INDEX catalog_entries_path ON catalog_entries (catalog, path);

CREATE TABLE catalog_successors (
    catalog TEXT NOT NULL REFERENCES catalogs (code),
    from_code TEXT NOT NULL,
    to_code TEXT NOT NULL,
    effective TEXT NOT NULL,
    PRIMARY KEY (catalog, from_code, to_code)
);
