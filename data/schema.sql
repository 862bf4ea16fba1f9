-- Integrationsmonitor: the schema of the DuckDB store.
-- Only aggregated counts live here; nothing person-level is ever written.
-- Keys are strings, normalised once at import (leading zeros kept).

CREATE TABLE IF NOT EXISTS municipalities (
    name        VARCHAR PRIMARY KEY,          -- "Lünen", "Musterstadt"
    ags         VARCHAR,                      -- 8-digit Amtlicher Gemeindeschlüssel, text
    synthetic   BOOLEAN NOT NULL DEFAULT FALSE,
    source      VARCHAR                       -- attribution shown under every chart
);

CREATE TABLE IF NOT EXISTS districts (
    municipality VARCHAR NOT NULL,
    district_id  VARCHAR NOT NULL,            -- "101", "01011101"
    name         VARCHAR NOT NULL,
    level        VARCHAR NOT NULL DEFAULT 'Stadtteil',   -- Stadtteil | Stadtbezirk
    parent_id    VARCHAR,                     -- district_id of the Stadtbezirk, if any
    geometry     BLOB,                        -- WKB in EPSG:4326, NULL where no boundary is known
    area_km2     DOUBLE,
    PRIMARY KEY (municipality, district_id)
);

-- One row per Stichtag and district: the totals every share is computed from.
-- A summary import fills what it knows (NULL = not known); a detail import derives them.
CREATE TABLE IF NOT EXISTS population (
    municipality                VARCHAR NOT NULL,
    reference_date              DATE    NOT NULL,
    district_id                 VARCHAR NOT NULL,
    population                  BIGINT  NOT NULL,
    foreigners                  BIGINT,
    migration_background        BIGINT,
    minors                      BIGINT,
    minors_migration_background BIGINT,
    import_id                   BIGINT,
    PRIMARY KEY (municipality, reference_date, district_id)
);

-- Optional detail: counts by nationality, age group, sex and migration status.
CREATE TABLE IF NOT EXISTS population_detail (
    municipality     VARCHAR NOT NULL,
    reference_date   DATE    NOT NULL,
    district_id      VARCHAR NOT NULL,
    nationality      VARCHAR NOT NULL,        -- "Deutschland" for Germans
    age_group        VARCHAR NOT NULL,        -- "0-5", "6-17", ... "80+"
    sex              VARCHAR NOT NULL,        -- "m" | "w" | "d"
    migration_status VARCHAR NOT NULL,        -- "mit" | "ohne" (Migrationshintergrund)
    persons          BIGINT  NOT NULL,
    import_id        BIGINT
);

CREATE TABLE IF NOT EXISTS allocations (
    municipality VARCHAR NOT NULL,
    period_start DATE    NOT NULL,
    period_type  VARCHAR NOT NULL,            -- 'year' | 'month' | 'day'
    country      VARCHAR NOT NULL,            -- Herkunftsland
    persons      BIGINT  NOT NULL,
    minors       BIGINT,                      -- NULL = not known
    legal_basis  VARCHAR,                     -- FlüAG, §12a AufenthG, §24 AufenthG ...
    import_id    BIGINT
);

CREATE TABLE IF NOT EXISTS quotas (
    municipality   VARCHAR NOT NULL,
    reference_date DATE    NOT NULL,
    quota_target   BIGINT  NOT NULL,          -- Aufnahmeverpflichtung (Soll)
    quota_actual   BIGINT  NOT NULL,          -- Ist
    import_id      BIGINT,
    PRIMARY KEY (municipality, reference_date)
);

CREATE TABLE IF NOT EXISTS facilities (
    municipality VARCHAR NOT NULL,
    facility     VARCHAR NOT NULL,            -- name of the Unterkunft
    district_id  VARCHAR,
    import_id    BIGINT,                      -- the occupancy import that last recorded the facility
    PRIMARY KEY (municipality, facility)
);
-- Databases built before facilities had an import_id get the column on their next write.
ALTER TABLE facilities ADD COLUMN IF NOT EXISTS import_id BIGINT;

CREATE TABLE IF NOT EXISTS occupancy (
    municipality   VARCHAR NOT NULL,
    reference_date DATE    NOT NULL,
    facility       VARCHAR NOT NULL,
    capacity       BIGINT  NOT NULL,          -- Plätze
    occupants      BIGINT  NOT NULL,          -- Belegung
    fehlbeleger    BIGINT,                    -- NULL = not known
    import_id      BIGINT,
    PRIMARY KEY (municipality, reference_date, facility)
);

CREATE SEQUENCE IF NOT EXISTS import_ids START 1;

CREATE TABLE IF NOT EXISTS imports (
    import_id     BIGINT PRIMARY KEY,
    kind          VARCHAR NOT NULL,           -- population | boundaries | allocations | quota | occupancy | demo
    municipality  VARCHAR,
    file_name     VARCHAR,
    file_sha256   VARCHAR,
    imported_at   TIMESTAMP NOT NULL,
    imported_by   VARCHAR,
    rows          BIGINT,
    replaced      VARCHAR                     -- what the import replaced, in words
);

-- Undo: rows an import replaced are moved here (with the id of the import that replaced them), so the
-- last import of a kind can be taken back exactly.
ALTER TABLE imports ADD COLUMN IF NOT EXISTS undone_at TIMESTAMP;
ALTER TABLE districts ADD COLUMN IF NOT EXISTS import_id BIGINT;
CREATE TABLE IF NOT EXISTS population_archive AS SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM population LIMIT 0;
CREATE TABLE IF NOT EXISTS population_detail_archive AS SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM population_detail LIMIT 0;
CREATE TABLE IF NOT EXISTS allocations_archive AS SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM allocations LIMIT 0;
CREATE TABLE IF NOT EXISTS quotas_archive AS SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM quotas LIMIT 0;
CREATE TABLE IF NOT EXISTS occupancy_archive AS SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM occupancy LIMIT 0;
CREATE TABLE IF NOT EXISTS districts_archive AS SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM districts LIMIT 0;

-- Header mappings a planner chose for files whose headers the importer did not know, per municipality.
CREATE TABLE IF NOT EXISTS column_mappings (
    municipality VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,            -- population | allocations | quota | occupancy | register
    field        VARCHAR NOT NULL,            -- population, foreigners, ...
    header       VARCHAR NOT NULL,            -- the file's header text
    PRIMARY KEY (municipality, kind, field)
);

-- Warnings of an import (published total differs from the Stadtteile, names read forgivingly …), one a
-- line; databases built before get the column on their next write.
ALTER TABLE imports ADD COLUMN IF NOT EXISTS warnings VARCHAR;

-- Where a Stichtag's counts come from when not from the municipality's own register (the Zensus 2022
-- grid cells): printed under every chart of that Stichtag, the caveat on the Methodik page. A row
-- holds only while the Stichtag's population rows are those of its import (`import_id`).
CREATE TABLE IF NOT EXISTS population_sources (
    municipality   VARCHAR NOT NULL,
    reference_date DATE    NOT NULL,
    source         VARCHAR NOT NULL,
    caveat         VARCHAR,
    import_id      BIGINT,
    PRIMARY KEY (municipality, reference_date)
);
CREATE TABLE IF NOT EXISTS population_sources_archive AS SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM population_sources LIMIT 0;
-- Regions above the Stadtteile (issue 19): Land (AGS of 2 digits, "05" NRW), Regierungsbezirk (3),
-- Kreis (5), Gemeinde (8). The parent of a region is the region of its AGS prefix (05978024 → 05978
-- → 059 → 05); a kreisfreie Stadt (05913000) is its own Kreis (05913). Counts per region and Stichtag
-- as a statistics office published them (GENESIS/IT.NRW by AGS); a municipality with Stadtteile in
-- the store that has no published row is counted from them when read (`Store.region_counts`).
CREATE TABLE IF NOT EXISTS regions (
    ags        VARCHAR PRIMARY KEY,
    name       VARCHAR NOT NULL,               -- "Lünen", "Kreis Unna", "Nordrhein-Westfalen"
    level      VARCHAR NOT NULL,               -- Land | Regierungsbezirk | Kreis | Gemeinde
    synthetic  BOOLEAN NOT NULL DEFAULT FALSE,
    geometry   BLOB,                           -- WKB in EPSG:4326, NULL where no boundary is known
    area_km2   DOUBLE,
    import_id  BIGINT
);
CREATE TABLE IF NOT EXISTS region_counts (
    ags                  VARCHAR NOT NULL,
    reference_date       DATE    NOT NULL,
    population           BIGINT,             -- NULL = secret or not published (`.`, `x`)
    foreigners           BIGINT,
    migration_background BIGINT,
    source               VARCHAR,            -- "IT.NRW, GENESIS 12411-01i, dl-de/by-2-0"
    import_id            BIGINT,
    PRIMARY KEY (ags, reference_date)
);
CREATE TABLE IF NOT EXISTS regions_archive AS SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM regions LIMIT 0;
CREATE TABLE IF NOT EXISTS region_counts_archive AS SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM region_counts LIMIT 0;
-- A city's own indicators (SGB II, children under 6, naturalisations, KIM case management …): what
-- each one is, and its counts per district and Stichtag. Keys start with "own_" and so never collide
-- with the catalogue's. denominator: 'population' (or another count of `population`), the key of
-- another own indicator, or NULL for a plain count. value NULL = not known (a suppressed cell).
CREATE TABLE IF NOT EXISTS custom_indicators (
    municipality    VARCHAR NOT NULL,
    key             VARCHAR NOT NULL,         -- "own_sgb2"
    label           VARCHAR NOT NULL,         -- "SGB-II-Quote"
    short_label     VARCHAR NOT NULL,
    numerator_label VARCHAR NOT NULL,         -- "Personen in SGB-II-Bedarfsgemeinschaften"
    denominator     VARCHAR,
    unit            VARCHAR NOT NULL,         -- what is counted: "Personen", "Fälle"
    source          VARCHAR NOT NULL,
    caveat          VARCHAR NOT NULL,
    import_id       BIGINT,
    PRIMARY KEY (municipality, key)
);
CREATE TABLE IF NOT EXISTS custom_values (
    municipality   VARCHAR NOT NULL,
    reference_date DATE    NOT NULL,
    district_id    VARCHAR NOT NULL,
    key            VARCHAR NOT NULL,
    value          BIGINT,
    import_id      BIGINT,
    PRIMARY KEY (municipality, reference_date, district_id, key)
);
CREATE TABLE IF NOT EXISTS custom_indicators_archive AS SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM custom_indicators LIMIT 0;
CREATE TABLE IF NOT EXISTS custom_values_archive AS SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM custom_values LIMIT 0;
-- Einwanderungsgeschichte (Statistisches Bundesamt since Mikrozensus 2023; IT.NRW): persons who immigrated
-- since 1950, or both of whose parents did. A second definition beside migration_background, never mixed
-- with it; NULL = not known. Older databases (and their archive) get the column on their next write.
ALTER TABLE population ADD COLUMN IF NOT EXISTS immigration_history BIGINT;
ALTER TABLE population_archive ADD COLUMN IF NOT EXISTS immigration_history BIGINT;
