from enum import StrEnum


class QueueStatus(StrEnum):
    BOUNCED = "bounced"
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    EXPIRED = "expired"
    IN_FLIGHT = "in_flight"
    SCHEDULED = "scheduled"

    def __str__(self) -> str:
        return str(self.value)
