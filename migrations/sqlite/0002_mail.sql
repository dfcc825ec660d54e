-- Mail: mailboxes with IMAP's UID bookkeeping, messages referencing blobs,
-- and the outbound queue (one row per message, one per recipient).

CREATE TABLE mailboxes (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    special_use  TEXT,
    uidvalidity  INTEGER NOT NULL,
    uidnext      INTEGER NOT NULL DEFAULT 1,
    subscribed   INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    mailbox_id     INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid            INTEGER NOT NULL,
    blob           TEXT    NOT NULL,
    size           INTEGER NOT NULL,
    flags          TEXT    NOT NULL DEFAULT '',
    internal_date  INTEGER NOT NULL,
    UNIQUE (mailbox_id, uid)
);

CREATE TABLE queue_messages (
    id          INTEGER PRIMARY KEY,
    blob        TEXT    NOT NULL,
    sender      TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    account     TEXT,
    client_ip   TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE queue_recipients (
    id               INTEGER PRIMARY KEY,
    message_id       INTEGER NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
    recipient        TEXT    NOT NULL,
    domain           TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'scheduled',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_reply       TEXT,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX queue_recipients_due ON queue_recipients(status, next_attempt_at);

-- Accounts created before this migration get their standard mailboxes.
INSERT INTO mailboxes (account_id, name, special_use, uidvalidity, created_at)
SELECT a.id, m.name, m.special_use, CAST(strftime('%s', 'now') AS INTEGER), a.created_at
FROM accounts a,
     (SELECT 'INBOX' AS name, NULL AS special_use UNION ALL SELECT 'Sent', '\Sent'
      UNION ALL SELECT 'Drafts', '\Drafts' UNION ALL SELECT 'Trash', '\Trash'
      UNION ALL SELECT 'Junk', '\Junk') m;
