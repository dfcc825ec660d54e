from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="MessageDelivered")


@_attrs_define
class MessageDelivered:
    """`message.delivered`: one per remote recipient.

    Attributes:
        attempts (int):
        message_id (str):
        queue_id (int): The queue entry (`/v1/queue/{id}`).
        recipient (str):
        remote_host (str): `host:port` that accepted it.
        reply (str): The remote server's reply to the end of data.
        sender (str):
        tls (bool): Whether the session was encrypted (STARTTLS).
        tls_cipher (None | str | Unset):
    """

    attempts: int
    message_id: str
    queue_id: int
    recipient: str
    remote_host: str
    reply: str
    sender: str
    tls: bool
    tls_cipher: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        message_id = self.message_id

        queue_id = self.queue_id

        recipient = self.recipient

        remote_host = self.remote_host

        reply = self.reply

        sender = self.sender

        tls = self.tls

        tls_cipher: None | str | Unset
        if isinstance(self.tls_cipher, Unset):
            tls_cipher = UNSET
        else:
            tls_cipher = self.tls_cipher

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "message_id": message_id,
                "queue_id": queue_id,
                "recipient": recipient,
                "remote_host": remote_host,
                "reply": reply,
                "sender": sender,
                "tls": tls,
            }
        )
        if tls_cipher is not UNSET:
            field_dict["tls_cipher"] = tls_cipher

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        message_id = d.pop("message_id")

        queue_id = d.pop("queue_id")

        recipient = d.pop("recipient")

        remote_host = d.pop("remote_host")

        reply = d.pop("reply")

        sender = d.pop("sender")

        tls = d.pop("tls")

        def _parse_tls_cipher(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tls_cipher = _parse_tls_cipher(d.pop("tls_cipher", UNSET))

        message_delivered = cls(
            attempts=attempts,
            message_id=message_id,
            queue_id=queue_id,
            recipient=recipient,
            remote_host=remote_host,
            reply=reply,
            sender=sender,
            tls=tls,
            tls_cipher=tls_cipher,
        )

        message_delivered.additional_properties = d
        return message_delivered

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
