-- analyze.sql -- DMARC enforcement from a dmarcscan scan output, with DuckDB
-- (docs/analysis.md). Reads the .ndjson.zst directly (DuckDB decompresses zstd by the
-- file name's extension). The counts follow the summary's definitions (docs/output.md,
-- "Summary"): a rate is of the scanned lines (status OK); EXCLUDED and ILLEGAL_INPUT lines
-- are in no rate. Each rate comes with its 95% Wilson interval.
--
-- Usage, from the directory holding the scan (or edit the path below):
--   duckdb < scripts/analyze.sql              -- reads results.ndjson.zst
--   sed 's|results.ndjson.zst|dec.ndjson.zst|' scripts/analyze.sql | duckdb
-- Not tested here: DuckDB is not packaged in Debian 12, so the test suite runs the pandas
-- example of docs/analysis.md instead. The SQL keeps to read_ndjson, json_extract_string
-- and plain aggregates.

CREATE OR REPLACE TEMP VIEW lines AS
SELECT domain, status, sector, rank, posture, enforcing, spoofable,
       json_extract_string(spf, '$.all') AS spf_all,
       dmarc
FROM read_ndjson('results.ndjson.zst',
                 columns = {domain: 'VARCHAR', status: 'VARCHAR', sector: 'VARCHAR',
                            rank: 'BIGINT', posture: 'VARCHAR', enforcing: 'BOOLEAN',
                            spoofable: 'VARCHAR', spf: 'JSON', dmarc: 'JSON'});

-- The scanned lines with the groups the summary breaks them down by.
CREATE OR REPLACE TEMP VIEW scanned AS
SELECT *,
       regexp_extract(domain, '[^.]+$') AS tld,
       CASE WHEN rank IS NULL THEN NULL
            WHEN rank <= 1000 THEN '1-1k'
            WHEN rank <= 10000 THEN '1k-10k'
            WHEN rank <= 100000 THEN '10k-100k'
            WHEN rank <= 1000000 THEN '100k-1M'
            ELSE '>1M' END AS rank_bucket
FROM lines
WHERE status = 'OK';

-- Wilson score interval (95%) of n successes in t trials, in percent.
CREATE OR REPLACE TEMP MACRO wilson_lo(n, t) AS
    CASE WHEN t = 0 THEN NULL ELSE 100 * ((n / t + 1.96 ^ 2 / (2 * t))
        - 1.96 * sqrt(n / t * (1 - n / t) / t + 1.96 ^ 2 / (4 * t ^ 2)))
        / (1 + 1.96 ^ 2 / t) END;
CREATE OR REPLACE TEMP MACRO wilson_hi(n, t) AS
    CASE WHEN t = 0 THEN NULL ELSE 100 * ((n / t + 1.96 ^ 2 / (2 * t))
        + 1.96 * sqrt(n / t * (1 - n / t) / t + 1.96 ^ 2 / (4 * t ^ 2)))
        / (1 + 1.96 ^ 2 / t) END;

-- 1. Posture of every scanned domain.
SELECT posture, count(*) AS n,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct
FROM scanned GROUP BY posture ORDER BY n DESC;

-- 2. Enforcement (the line's "enforcing": quarantine or reject, not lowered by pct=0/t=y)
--    by sector (the input's --sector-column), largest sectors first.
SELECT sector, count(*) AS scanned,
       count(*) FILTER (WHERE enforcing) AS enforcing,
       round(100.0 * count(*) FILTER (WHERE enforcing) / count(*), 1) AS pct,
       round(wilson_lo(count(*) FILTER (WHERE enforcing), count(*)), 1) AS ci_lo,
       round(wilson_hi(count(*) FILTER (WHERE enforcing), count(*)), 1) AS ci_hi,
       count(*) FILTER (WHERE posture = 'reject') AS reject,
       count(*) FILTER (WHERE posture = 'missing') AS missing
FROM scanned WHERE sector IS NOT NULL
GROUP BY sector ORDER BY scanned DESC;

-- 3. Enforcement by top-level domain (20 largest).
SELECT tld, count(*) AS scanned,
       count(*) FILTER (WHERE enforcing) AS enforcing,
       round(100.0 * count(*) FILTER (WHERE enforcing) / count(*), 1) AS pct,
       round(wilson_lo(count(*) FILTER (WHERE enforcing), count(*)), 1) AS ci_lo,
       round(wilson_hi(count(*) FILTER (WHERE enforcing), count(*)), 1) AS ci_hi
FROM scanned GROUP BY tld ORDER BY scanned DESC LIMIT 20;

-- 4. Enforcement by rank bucket (inputs with a rank: Tranco, CrUX, Majestic).
SELECT rank_bucket, count(*) AS scanned,
       count(*) FILTER (WHERE enforcing) AS enforcing,
       round(100.0 * count(*) FILTER (WHERE enforcing) / count(*), 1) AS pct,
       round(wilson_lo(count(*) FILTER (WHERE enforcing), count(*)), 1) AS ci_lo,
       round(wilson_hi(count(*) FILTER (WHERE enforcing), count(*)), 1) AS ci_hi
FROM scanned WHERE rank_bucket IS NOT NULL
GROUP BY rank_bucket ORDER BY min(rank);

-- 5. Report receivers: the organizational domains named by the most lines (each line
--    counts an organization once, through one host or several, as the summary's
--    "receivers" does).
WITH orgs AS (
    SELECT unnest(list_distinct(json_extract_string(dmarc, '$.receivers[*].org'))) AS org
    FROM scanned
)
SELECT org, count(*) AS domains
FROM orgs WHERE org IS NOT NULL
GROUP BY org ORDER BY domains DESC, org LIMIT 20;

-- 6. SPF: the effective `all` of the domains that publish SPF, against DMARC enforcement.
SELECT coalesce(spf_all, 'none/unknown') AS spf_all, count(*) AS domains,
       count(*) FILTER (WHERE enforcing) AS enforcing
FROM scanned GROUP BY 1 ORDER BY domains DESC;
