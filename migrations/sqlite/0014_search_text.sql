-- What IMAP SEARCH BODY/TEXT looks through, per message content: the
-- decoded, lowercased text of every part (see imap::search::body_text),
-- computed the first time a search needs it and kept, so later searches
-- read text instead of parsing every message. Keyed by the
-- content-addressed blob, so it never goes stale and every node shares it.
CREATE TABLE message_text (
    blob TEXT PRIMARY KEY,
    text TEXT NOT NULL
);
