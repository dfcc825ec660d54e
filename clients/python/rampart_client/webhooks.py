"""Verifying Rampart's signed webhooks (Standard Webhooks, HMAC-SHA256).

Hand-written (not generated): kept by clients/regenerate.
"""

from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

__all__ = ["verify", "WebhookVerificationError"]


def verify(secret: str, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """Returns the event (`{"type", "timestamp", "data"}`) when the
    `webhook-id`, `webhook-timestamp` and `webhook-signature` headers sign
    `body` with `secret` (`whsec_...`) within five minutes; raises
    `WebhookVerificationError` otherwise."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return Webhook(secret).verify(body, lowered)
