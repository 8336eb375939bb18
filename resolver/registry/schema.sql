-- The registry store. Every row belongs to one source version; a snapshot is a set of
-- source versions (one per source). Old versions are kept so that snapshots can be diffed
-- and any past answer reproduced.

CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);

CREATE TABLE IF NOT EXISTS source_versions (
    version_id     INTEGER PRIMARY KEY,
    source         VARCHAR NOT NULL,      -- e.g. us_ofac_sdn: the unit an ingest replaces
    format         VARCHAR NOT NULL,      -- the parser that read it
    publisher_date VARCHAR,               -- the publisher's own date (ISO prefix), when the file states it
    digest         VARCHAR NOT NULL,      -- sha256 over the input files' sha256s, in file-name order
    ingested_at    TIMESTAMPTZ NOT NULL,
    entities       INTEGER NOT NULL,
    names          INTEGER NOT NULL,
    relations      INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS source_files (
    version_id INTEGER NOT NULL,
    file_name  VARCHAR NOT NULL,          -- base name only: stores are moved between machines
    sha256     VARCHAR NOT NULL,
    bytes      BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS snapshots (
    snapshot_id INTEGER PRIMARY KEY,
    parent_id   INTEGER,
    digest      VARCHAR NOT NULL,         -- sha256 over the member versions' digests: same content, same digest
    created_at  TIMESTAMPTZ NOT NULL,
    note        VARCHAR
);

CREATE TABLE IF NOT EXISTS snapshot_sources (
    snapshot_id INTEGER NOT NULL,
    source      VARCHAR NOT NULL,
    version_id  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS entities (
    version_id   INTEGER NOT NULL,
    entity_id    VARCHAR NOT NULL,        -- "<source>:<source_id>", stable across versions
    source       VARCHAR NOT NULL,
    source_id    VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,        -- person | organization | vessel | aircraft | unknown
    primary_name VARCHAR NOT NULL,
    programs     VARCHAR[] NOT NULL,
    topics       VARCHAR[] NOT NULL,      -- sanction, role.oligarch, export.control, russia-related ...
    lists        VARCHAR[] NOT NULL,      -- authority lists (multi-list files such as the FCA's)
    listing_date VARCHAR,
    gender       VARCHAR,
    birth_places VARCHAR[] NOT NULL,
    notes        VARCHAR
);

CREATE TABLE IF NOT EXISTS names (
    version_id INTEGER NOT NULL,
    entity_id  VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,          -- primary | alias | weak_alias | former
    script     VARCHAR NOT NULL,          -- Unicode scripts in the name, e.g. "Latin", "Cyrillic", "Arabic+Latin"
    lang       VARCHAR,
    quality    VARCHAR
);

CREATE TABLE IF NOT EXISTS identifiers (
    version_id INTEGER NOT NULL,
    entity_id  VARCHAR NOT NULL,
    scheme     VARCHAR NOT NULL,
    value      VARCHAR NOT NULL,
    country    VARCHAR,
    note       VARCHAR
);

CREATE TABLE IF NOT EXISTS birth_dates (
    version_id INTEGER NOT NULL,
    entity_id  VARCHAR NOT NULL,
    raw        VARCHAR NOT NULL,
    date       VARCHAR                    -- ISO prefix, NULL when the raw text is not a date
);

CREATE TABLE IF NOT EXISTS countries (
    version_id INTEGER NOT NULL,
    entity_id  VARCHAR NOT NULL,
    code       VARCHAR NOT NULL,
    role       VARCHAR NOT NULL,          -- nationality | citizenship | residence | jurisdiction | birth | address | other
    raw        VARCHAR
);

CREATE TABLE IF NOT EXISTS addresses (
    version_id  INTEGER NOT NULL,
    entity_id   VARCHAR NOT NULL,
    full_text   VARCHAR NOT NULL,
    street      VARCHAR,
    city        VARCHAR,
    postal_code VARCHAR,
    region      VARCHAR,
    country     VARCHAR
);

CREATE TABLE IF NOT EXISTS relations (
    version_id     INTEGER NOT NULL,
    relation_id    VARCHAR,
    subject_id     VARCHAR NOT NULL,      -- entity id of the owner / controller / director / listed party
    object_id      VARCHAR,               -- entity id of the other end, when resolved
    object_name    VARCHAR,               -- the raw name as the source gives it
    kind           VARCHAR NOT NULL,      -- ownership | control | directorship | family | associate | linked_to
    percentage     DOUBLE,
    percentage_min DOUBLE,
    percentage_max DOUBLE,
    start_date     VARCHAR,
    end_date       VARCHAR,
    role           VARCHAR
);
