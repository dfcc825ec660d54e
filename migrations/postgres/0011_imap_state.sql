-- UIDVALIDITY must never repeat for a mailbox name (RFC 3501 2.3.1.1), also
-- after the mailbox was deleted: each account keeps the highest one it has
-- handed out.
ALTER TABLE accounts ADD COLUMN uidvalidity_seq BIGINT NOT NULL DEFAULT 0;
UPDATE accounts SET uidvalidity_seq = COALESCE(
    (SELECT MAX(uidvalidity) FROM mailboxes WHERE mailboxes.account_id = accounts.id), 0);

-- \Recent (RFC 3501 2.3.2): messages with a UID above this have not yet been
-- seen by a session that selected the mailbox; the first one that does
-- claims them.
ALTER TABLE mailboxes ADD COLUMN recent_uid BIGINT NOT NULL DEFAULT 0;
UPDATE mailboxes SET recent_uid = uidnext - 1;

-- CONDSTORE/QRESYNC (RFC 7162): every change to a message (arrival, flags)
-- takes the mailbox's next mod-sequence, and every removal leaves a
-- tombstone with one. Triggers do it in the changing statement's own
-- transaction (the mailbox row's lock orders concurrent changes across
-- nodes), so no code path can forget, and a session can tell from one
-- number whether anything changed since it last looked.
ALTER TABLE mailboxes ADD COLUMN highestmodseq BIGINT NOT NULL DEFAULT 1;
ALTER TABLE messages ADD COLUMN modseq BIGINT NOT NULL DEFAULT 1;
CREATE INDEX messages_by_modseq ON messages(mailbox_id, modseq);
CREATE TABLE expunged (
    mailbox_id BIGINT NOT NULL,
    uid        BIGINT NOT NULL,
    modseq     BIGINT NOT NULL
);
CREATE INDEX expunged_by_modseq ON expunged(mailbox_id, modseq);

CREATE FUNCTION rampart_message_modseq() RETURNS trigger AS $$
DECLARE
    seq BIGINT;
BEGIN
    -- MOVE re-homes a row (new mailbox and/or UID): a removal where it
    -- was, an arrival where it is.
    IF TG_OP = 'UPDATE' AND (NEW.mailbox_id <> OLD.mailbox_id OR NEW.uid <> OLD.uid) THEN
        UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = OLD.mailbox_id
        RETURNING highestmodseq INTO seq;
        INSERT INTO expunged (mailbox_id, uid, modseq) VALUES (OLD.mailbox_id, OLD.uid, seq);
    END IF;
    UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = NEW.mailbox_id
    RETURNING highestmodseq INTO NEW.modseq;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER messages_modseq BEFORE INSERT OR UPDATE OF flags, mailbox_id, uid ON messages
    FOR EACH ROW EXECUTE FUNCTION rampart_message_modseq();

CREATE FUNCTION rampart_message_expunged() RETURNS trigger AS $$
DECLARE
    seq BIGINT;
BEGIN
    UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = OLD.mailbox_id
    RETURNING highestmodseq INTO seq;
    IF FOUND THEN
        INSERT INTO expunged (mailbox_id, uid, modseq) VALUES (OLD.mailbox_id, OLD.uid, seq);
    END IF;
    RETURN OLD;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER messages_expunged AFTER DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION rampart_message_expunged();

CREATE FUNCTION rampart_mailbox_deleted() RETURNS trigger AS $$
BEGIN
    DELETE FROM expunged WHERE mailbox_id = OLD.id;
    RETURN OLD;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER mailboxes_tombstones AFTER DELETE ON mailboxes
    FOR EACH ROW EXECUTE FUNCTION rampart_mailbox_deleted();

-- What FETCH ENVELOPE/BODYSTRUCTURE and header SEARCH need, computed once
-- per message content (blobs are content-addressed, so this never goes
-- stale) instead of parsing every message on every command.
CREATE TABLE message_meta (
    blob TEXT PRIMARY KEY,
    meta TEXT NOT NULL
);
