from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MessageQueued")


@_attrs_define
class MessageQueued:
    """`message.queued`: one per message with remote recipients.

    Attributes:
        client_ip (str):
        message_id (str):
        queue_id (int): The queue entry's id.
        recipients (list[str]):
        sender (str):
        size (int):
    """

    client_ip: str
    message_id: str
    queue_id: int
    recipients: list[str]
    sender: str
    size: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        client_ip = self.client_ip

        message_id = self.message_id

        queue_id = self.queue_id

        recipients = self.recipients

        sender = self.sender

        size = self.size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "client_ip": client_ip,
                "message_id": message_id,
                "queue_id": queue_id,
                "recipients": recipients,
                "sender": sender,
                "size": size,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        client_ip = d.pop("client_ip")

        message_id = d.pop("message_id")

        queue_id = d.pop("queue_id")

        recipients = cast(list[str], d.pop("recipients"))

        sender = d.pop("sender")

        size = d.pop("size")

        message_queued = cls(
            client_ip=client_ip,
            message_id=message_id,
            queue_id=queue_id,
            recipients=recipients,
            sender=sender,
            size=size,
        )

        message_queued.additional_properties = d
        return message_queued

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
