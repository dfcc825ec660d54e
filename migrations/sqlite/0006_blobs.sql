-- Message bodies in the database (the default): written in the same
-- transaction as the rows that reference them, so one commit (one fsync)
-- covers a whole group of messages.

CREATE TABLE blobs (
    hash        TEXT    PRIMARY KEY,
    size        INTEGER NOT NULL,
    data        BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
);
