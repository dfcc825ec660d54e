-- Outbound delivery: leases on queued recipients, the remote answer, DSN
-- bookkeeping, and per-domain DKIM keys.

ALTER TABLE queue_recipients ADD COLUMN lease_until INTEGER;
ALTER TABLE queue_recipients ADD COLUMN remote_host TEXT;
ALTER TABLE queue_messages ADD COLUMN queue_id TEXT NOT NULL DEFAULT '';
ALTER TABLE queue_messages ADD COLUMN dsn_sent INTEGER NOT NULL DEFAULT 0;
CREATE INDEX queue_recipients_by_message ON queue_recipients(message_id);

CREATE TABLE dkim_keys (
    id           INTEGER PRIMARY KEY,
    domain_id    INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    selector     TEXT    NOT NULL,
    algorithm    TEXT    NOT NULL,
    private_key  TEXT    NOT NULL,
    public_key   TEXT    NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    UNIQUE (domain_id, selector)
);
