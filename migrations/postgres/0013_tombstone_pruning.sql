-- QRESYNC tombstones are pruned after [access] imap_tombstone_days: each
-- records when it was made (the column default, filled in by the triggers
-- of 0011 that insert them), and each mailbox remembers the highest
-- mod-sequence whose tombstones are gone. A client (or a cached view) that
-- last looked before that point cannot be told exactly what vanished; it is
-- told everything it may know of that is not there now (RFC 7162 3.2.10
-- lets VANISHED (EARLIER) name UIDs the client never saw).
ALTER TABLE expunged ADD COLUMN expunged_at BIGINT NOT NULL
    DEFAULT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT;
ALTER TABLE mailboxes ADD COLUMN vanished_floor BIGINT NOT NULL DEFAULT 0;
CREATE INDEX expunged_by_time ON expunged(expunged_at);
