-- Words people type for procedures that their names do not use: abbreviations ("LLTP") and
-- everyday words ("xây nhà"). cqdt has a built-in list; this table holds what administrators
-- add or change at /admin/procedures/tu-dong-nghia, and an empty expansion removes a
-- built-in term. Terms are stored folded (no diacritics, lower case), as the search compares.
CREATE TABLE search_synonyms (
    term TEXT PRIMARY KEY,
    expansion TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
