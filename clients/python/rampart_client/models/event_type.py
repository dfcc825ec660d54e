from enum import StrEnum


class EventType(StrEnum):
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_DELETED = "account.deleted"
    ACCOUNT_FROZEN = "account.frozen"
    ACCOUNT_UNFROZEN = "account.unfrozen"
    ATTACHMENT_DOWNLOADED = "attachment.downloaded"
    ATTACHMENT_LINKED = "attachment.linked"
    AUTH_FAILED = "auth.failed"
    DNS_CHECK_FAILED = "dns.check.failed"
    IP_BLOCKED = "ip.blocked"
    IP_UNBLOCKED = "ip.unblocked"
    MESSAGE_BOUNCED = "message.bounced"
    MESSAGE_DEFERRED = "message.deferred"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_QUEUED = "message.queued"
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_REJECTED = "message.rejected"
    WEBHOOK_DISABLED = "webhook.disabled"
    WEBHOOK_TEST = "webhook.test"

    def __str__(self) -> str:
        return str(self.value)
