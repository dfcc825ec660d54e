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
