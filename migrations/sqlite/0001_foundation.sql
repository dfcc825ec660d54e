-- Foundation: domains, accounts, aliases, settings, the API signing key and
-- the append-only event log. Times are Unix milliseconds (UTC).

CREATE TABLE domains (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE accounts (
    id                  INTEGER PRIMARY KEY,
    domain_id           INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    address             TEXT    NOT NULL,
    address_key         TEXT    NOT NULL UNIQUE,
    display_name        TEXT,
    password_hash       TEXT    NOT NULL,
    status              TEXT    NOT NULL DEFAULT 'active',
    frozen_reason       TEXT,
    frozen_at           INTEGER,
    quota_bytes         INTEGER,
    used_bytes          INTEGER NOT NULL DEFAULT 0,
    sending_limit       TEXT,
    attachment_linking  TEXT    NOT NULL,
    created_at          INTEGER NOT NULL
);
CREATE INDEX accounts_by_domain ON accounts(domain_id, address_key);

CREATE TABLE aliases (
    id           INTEGER PRIMARY KEY,
    domain_id    INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    address      TEXT    NOT NULL,
    address_key  TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL
);

CREATE TABLE alias_targets (
    alias_id    INTEGER NOT NULL REFERENCES aliases(id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    PRIMARY KEY (alias_id, account_id)
);
CREATE INDEX alias_targets_by_account ON alias_targets(account_id);

CREATE TABLE settings (
    name        TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- One HMAC key signs every API token; kept here so every node shares it.
CREATE TABLE signing_keys (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    secret      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE events (
    id       INTEGER PRIMARY KEY,
    type     TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    account  TEXT,
    domain   TEXT,
    data     TEXT    NOT NULL
);
CREATE INDEX events_by_type ON events(type, id);
CREATE INDEX events_by_account ON events(account, id);
CREATE INDEX events_by_domain ON events(domain, id);
