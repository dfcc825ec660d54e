-- DMARC aggregate reporting: one row per checked message whose From:
-- domain asks for reports (sent and deleted by the daily report run), and
-- the aggregate reports other receivers send to our domains.

CREATE TABLE dmarc_records (
    id          INTEGER PRIMARY KEY,
    domain      TEXT    NOT NULL,
    rua         TEXT    NOT NULL,
    policy      TEXT    NOT NULL,
    record      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX dmarc_records_domain ON dmarc_records (domain, created_at);

CREATE TABLE dmarc_reports (
    id           INTEGER PRIMARY KEY,
    org_name     TEXT    NOT NULL,
    report_id    TEXT    NOT NULL,
    domain       TEXT    NOT NULL,
    date_begin   INTEGER NOT NULL,
    date_end     INTEGER NOT NULL,
    recipient    TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    report       TEXT    NOT NULL
);
CREATE INDEX dmarc_reports_domain ON dmarc_reports (domain, id);
