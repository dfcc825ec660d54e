-- UIDVALIDITY must never repeat for a mailbox name (RFC 3501 2.3.1.1), also
-- after the mailbox was deleted: each account keeps the highest one it has
-- handed out.
ALTER TABLE accounts ADD COLUMN uidvalidity_seq INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET uidvalidity_seq = COALESCE(
    (SELECT MAX(uidvalidity) FROM mailboxes WHERE mailboxes.account_id = accounts.id), 0);

-- \Recent (RFC 3501 2.3.2): messages with a UID above this have not yet been
-- seen by a session that selected the mailbox; the first one that does
-- claims them.
ALTER TABLE mailboxes ADD COLUMN recent_uid INTEGER NOT NULL DEFAULT 0;
UPDATE mailboxes SET recent_uid = uidnext - 1;

-- CONDSTORE/QRESYNC (RFC 7162): every change to a message (arrival, flags)
-- takes the mailbox's next mod-sequence, and every removal leaves a
-- tombstone with one. Triggers do it in the changing statement's own
-- transaction, so no code path (SMTP delivery, APPEND, STORE, POP3 DELE,
-- expunge) can forget, and a session can tell from one number whether
-- anything changed since it last looked.
ALTER TABLE mailboxes ADD COLUMN highestmodseq INTEGER NOT NULL DEFAULT 1;
ALTER TABLE messages ADD COLUMN modseq INTEGER NOT NULL DEFAULT 1;
CREATE INDEX messages_by_modseq ON messages(mailbox_id, modseq);
CREATE TABLE expunged (
    mailbox_id INTEGER NOT NULL,
    uid        INTEGER NOT NULL,
    modseq     INTEGER NOT NULL
);
CREATE INDEX expunged_by_modseq ON expunged(mailbox_id, modseq);

CREATE TRIGGER messages_modseq_insert AFTER INSERT ON messages BEGIN
    UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = NEW.mailbox_id;
    UPDATE messages SET modseq = (SELECT highestmodseq FROM mailboxes WHERE id = NEW.mailbox_id)
    WHERE id = NEW.id;
END;
CREATE TRIGGER messages_modseq_flags AFTER UPDATE OF flags ON messages BEGIN
    UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = NEW.mailbox_id;
    UPDATE messages SET modseq = (SELECT highestmodseq FROM mailboxes WHERE id = NEW.mailbox_id)
    WHERE id = NEW.id;
END;
-- MOVE re-homes a row (new mailbox and/or UID): a removal where it was,
-- an arrival where it is.
CREATE TRIGGER messages_modseq_move AFTER UPDATE OF mailbox_id, uid ON messages
WHEN OLD.mailbox_id <> NEW.mailbox_id OR OLD.uid <> NEW.uid BEGIN
    UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = OLD.mailbox_id;
    INSERT INTO expunged (mailbox_id, uid, modseq)
    SELECT OLD.mailbox_id, OLD.uid, highestmodseq FROM mailboxes WHERE id = OLD.mailbox_id;
    UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = NEW.mailbox_id;
    UPDATE messages SET modseq = (SELECT highestmodseq FROM mailboxes WHERE id = NEW.mailbox_id)
    WHERE id = NEW.id;
END;
CREATE TRIGGER messages_modseq_delete AFTER DELETE ON messages BEGIN
    UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = OLD.mailbox_id;
    INSERT INTO expunged (mailbox_id, uid, modseq)
    SELECT OLD.mailbox_id, OLD.uid, highestmodseq FROM mailboxes WHERE id = OLD.mailbox_id;
END;
CREATE TRIGGER mailboxes_tombstones AFTER DELETE ON mailboxes BEGIN
    DELETE FROM expunged WHERE mailbox_id = OLD.id;
END;

-- What FETCH ENVELOPE/BODYSTRUCTURE and header SEARCH need, computed once
-- per message content (blobs are content-addressed, so this never goes
-- stale) instead of parsing every message on every command.
CREATE TABLE message_meta (
    blob TEXT PRIMARY KEY,
    meta TEXT NOT NULL
);
