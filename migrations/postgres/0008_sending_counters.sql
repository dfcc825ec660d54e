-- Per-minute sending counters: the hijack detector's window is a sum over
-- at most window/60 rows, however many messages an account sends.

CREATE TABLE sending_counters (
    account_id  BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    minute      BIGINT NOT NULL,
    messages    BIGINT NOT NULL,
    recipients  BIGINT NOT NULL,
    PRIMARY KEY (account_id, minute)
);
