from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MessageDeferred")


@_attrs_define
class MessageDeferred:
    """`message.deferred`: a temporary failure; another attempt is scheduled.

    Attributes:
        attempts (int):
        message_id (str):
        next_attempt_at (str): RFC 3339.
        queue_id (int):
        recipient (str):
        reply (str):
        sender (str):
    """

    attempts: int
    message_id: str
    next_attempt_at: str
    queue_id: int
    recipient: str
    reply: str
    sender: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        message_id = self.message_id

        next_attempt_at = self.next_attempt_at

        queue_id = self.queue_id

        recipient = self.recipient

        reply = self.reply

        sender = self.sender

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "message_id": message_id,
                "next_attempt_at": next_attempt_at,
                "queue_id": queue_id,
                "recipient": recipient,
                "reply": reply,
                "sender": sender,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        message_id = d.pop("message_id")

        next_attempt_at = d.pop("next_attempt_at")

        queue_id = d.pop("queue_id")

        recipient = d.pop("recipient")

        reply = d.pop("reply")

        sender = d.pop("sender")

        message_deferred = cls(
            attempts=attempts,
            message_id=message_id,
            next_attempt_at=next_attempt_at,
            queue_id=queue_id,
            recipient=recipient,
            reply=reply,
            sender=sender,
        )

        message_deferred.additional_properties = d
        return message_deferred

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
