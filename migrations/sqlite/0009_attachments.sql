-- Attachment linking: files kept in fixed-size chunks (so downloads stream
-- with bounded memory on every backend, and a cluster shares them), and
-- the links that expose them.

CREATE TABLE files (
    hash        TEXT    PRIMARY KEY,
    size        INTEGER NOT NULL,
    chunk_size  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE file_chunks (
    hash  TEXT    NOT NULL REFERENCES files(hash) ON DELETE CASCADE,
    seq   INTEGER NOT NULL,
    data  BLOB    NOT NULL,
    PRIMARY KEY (hash, seq)
);

CREATE TABLE attachment_links (
    id                INTEGER PRIMARY KEY,
    token             TEXT    NOT NULL UNIQUE,
    account_id        INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    account           TEXT    NOT NULL,
    file_name         TEXT    NOT NULL,
    content_type      TEXT    NOT NULL,
    size              INTEGER NOT NULL,
    sha256            TEXT    NOT NULL REFERENCES files(hash),
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    revoked_at        INTEGER,
    downloads         INTEGER NOT NULL DEFAULT 0,
    last_download_at  INTEGER
);
CREATE INDEX attachment_links_by_account ON attachment_links(account_id, id);
CREATE INDEX attachment_links_by_expiry ON attachment_links(expires_at);
