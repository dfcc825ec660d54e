-- QRESYNC tombstones are pruned after [access] imap_tombstone_days: each
-- records when it was made, and each mailbox remembers the highest
-- mod-sequence whose tombstones are gone. A client (or a cached view) that
-- last looked before that point cannot be told exactly what vanished; it is
-- told everything it may know of that is not there now (RFC 7162 3.2.10
-- lets VANISHED (EARLIER) name UIDs the client never saw).
ALTER TABLE expunged ADD COLUMN expunged_at INTEGER NOT NULL DEFAULT 0;
UPDATE expunged SET expunged_at = CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER);
ALTER TABLE mailboxes ADD COLUMN vanished_floor INTEGER NOT NULL DEFAULT 0;

-- The triggers that write tombstones, as in 0011, now with their time.
DROP TRIGGER messages_modseq_move;
CREATE TRIGGER messages_modseq_move AFTER UPDATE OF mailbox_id, uid ON messages
WHEN OLD.mailbox_id <> NEW.mailbox_id OR OLD.uid <> NEW.uid BEGIN
    UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = OLD.mailbox_id;
    INSERT INTO expunged (mailbox_id, uid, modseq, expunged_at)
    SELECT OLD.mailbox_id, OLD.uid, highestmodseq,
           CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)
    FROM mailboxes WHERE id = OLD.mailbox_id;
    UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = NEW.mailbox_id;
    UPDATE messages SET modseq = (SELECT highestmodseq FROM mailboxes WHERE id = NEW.mailbox_id)
    WHERE id = NEW.id;
END;
DROP TRIGGER messages_modseq_delete;
CREATE TRIGGER messages_modseq_delete AFTER DELETE ON messages BEGIN
    UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = OLD.mailbox_id;
    INSERT INTO expunged (mailbox_id, uid, modseq, expunged_at)
    SELECT OLD.mailbox_id, OLD.uid, highestmodseq,
           CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)
    FROM mailboxes WHERE id = OLD.mailbox_id;
END;
CREATE INDEX expunged_by_time ON expunged(expunged_at);
