-- Per-minute sending counters: the hijack detector's window is a sum over
-- at most window/60 rows, however many messages an account sends.

CREATE TABLE sending_counters (
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    minute      INTEGER NOT NULL,
    messages    INTEGER NOT NULL,
    recipients  INTEGER NOT NULL,
    PRIMARY KEY (account_id, minute)
);
