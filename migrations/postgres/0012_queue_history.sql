-- The queue API lists what is still waiting; finished recipients (delivered,
-- bounced, expired) are history, kept for [outbound] history_days and then
-- purged. Every attempt is kept beside its recipient: when, which host,
-- what it answered.
ALTER TABLE queue_recipients ADD COLUMN finished_at BIGINT;
UPDATE queue_recipients SET finished_at = updated_at WHERE status IN ('delivered', 'bounced');
CREATE INDEX queue_recipients_finished ON queue_recipients(finished_at);

CREATE TABLE queue_attempts (
    id            BIGSERIAL PRIMARY KEY,
    recipient_id  BIGINT NOT NULL REFERENCES queue_recipients(id) ON DELETE CASCADE,
    at            BIGINT NOT NULL,
    status        TEXT NOT NULL,
    remote_host   TEXT,
    reply         TEXT NOT NULL
);
CREATE INDEX queue_attempts_by_recipient ON queue_attempts(recipient_id);
