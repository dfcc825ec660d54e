-- Webhooks: subscriptions, the event types each wants, and a durable
-- outbox of deliveries (one row per event and subscription) with every
-- attempt recorded.

CREATE TABLE webhooks (
    id                          INTEGER PRIMARY KEY,
    url                         TEXT    NOT NULL,
    description                 TEXT,
    enabled                     INTEGER NOT NULL DEFAULT 1,
    disabled_reason             TEXT,
    domain                      TEXT,
    secret                      TEXT    NOT NULL,
    previous_secret             TEXT,
    previous_secret_expires_at  INTEGER,
    created_at                  INTEGER NOT NULL
);

CREATE TABLE webhook_event_types (
    webhook_id  INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    type        TEXT    NOT NULL,
    PRIMARY KEY (webhook_id, type)
);
CREATE INDEX webhook_event_types_by_type ON webhook_event_types(type);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id         INTEGER NOT NULL,
    message_id       TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    created_at       INTEGER NOT NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);

CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY,
    delivery_id  INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    webhook_id   INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    status_code  INTEGER,
    duration_ms  INTEGER NOT NULL,
    error        TEXT
);
CREATE INDEX webhook_attempts_by_webhook ON webhook_attempts(webhook_id, id);
