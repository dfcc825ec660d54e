-- Admin notification emails: an outbox filled in the same transaction as
-- the events that warrant an email, drained by one node at a time.

CREATE TABLE admin_notifications (
    id           INTEGER PRIMARY KEY,
    event_id     INTEGER NOT NULL,
    type         TEXT    NOT NULL,
    account      TEXT,
    data         TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending',
    lease_until  INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX admin_notifications_pending ON admin_notifications(status, id);
