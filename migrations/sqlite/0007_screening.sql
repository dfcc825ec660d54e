-- Screening: the sending log behind hijack detection, single-use unfreeze
-- tokens, failed logins and blocked networks. All in the database so every
-- node of a cluster counts and blocks together.

CREATE TABLE sending_log (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    recipients  INTEGER NOT NULL,
    client_ip   TEXT    NOT NULL,
    protocol    TEXT    NOT NULL
);
CREATE INDEX sending_log_by_account ON sending_log(account_id, at);

CREATE TABLE unfreeze_tokens (
    token       TEXT    PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

CREATE TABLE auth_failures (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    ip           TEXT    NOT NULL,
    protocol     TEXT    NOT NULL,
    username     TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    attempt_key  TEXT
);
CREATE INDEX auth_failures_by_ip ON auth_failures(ip, at);
CREATE INDEX auth_failures_by_user ON auth_failures(username, at);

CREATE TABLE blocked_ips (
    network     TEXT    PRIMARY KEY,
    blocked_until INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    offenses    INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    manual      INTEGER NOT NULL DEFAULT 0
);
