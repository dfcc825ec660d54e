from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.queue_attempt_dto import QueueAttemptDto


T = TypeVar("T", bound="QueueEntryDto")


@_attrs_define
class QueueEntryDto:
    """
    Attributes:
        attempt_log (list[QueueAttemptDto]): Every delivery attempt so far, oldest first.
        attempts (int):
        created_at (datetime.datetime):
        domain (str):
        id (int):
        message_id (str): Our id for the message (in its Received: header).
        next_attempt_at (datetime.datetime):
        recipient (str):
        sender (str): Envelope sender; empty for bounces.
        size (int):
        status (str): Waiting: `scheduled`, `in_flight`, `deferred`. History: `delivered`,
            `bounced`, `expired` (given up after `[outbound] max_queue_seconds`).
        updated_at (datetime.datetime):
        last_reply (None | str | Unset):
        remote_host (None | str | Unset):
    """

    attempt_log: list[QueueAttemptDto]
    attempts: int
    created_at: datetime.datetime
    domain: str
    id: int
    message_id: str
    next_attempt_at: datetime.datetime
    recipient: str
    sender: str
    size: int
    status: str
    updated_at: datetime.datetime
    last_reply: None | str | Unset = UNSET
    remote_host: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempt_log = []
        for attempt_log_item_data in self.attempt_log:
            attempt_log_item = attempt_log_item_data.to_dict()
            attempt_log.append(attempt_log_item)

        attempts = self.attempts

        created_at = self.created_at.isoformat()

        domain = self.domain

        id = self.id

        message_id = self.message_id

        next_attempt_at = self.next_attempt_at.isoformat()

        recipient = self.recipient

        sender = self.sender

        size = self.size

        status = self.status

        updated_at = self.updated_at.isoformat()

        last_reply: None | str | Unset
        if isinstance(self.last_reply, Unset):
            last_reply = UNSET
        else:
            last_reply = self.last_reply

        remote_host: None | str | Unset
        if isinstance(self.remote_host, Unset):
            remote_host = UNSET
        else:
            remote_host = self.remote_host

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempt_log": attempt_log,
                "attempts": attempts,
                "created_at": created_at,
                "domain": domain,
                "id": id,
                "message_id": message_id,
                "next_attempt_at": next_attempt_at,
                "recipient": recipient,
                "sender": sender,
                "size": size,
                "status": status,
                "updated_at": updated_at,
            }
        )
        if last_reply is not UNSET:
            field_dict["last_reply"] = last_reply
        if remote_host is not UNSET:
            field_dict["remote_host"] = remote_host

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.queue_attempt_dto import QueueAttemptDto  # noqa: PLC0415

        d = dict(src_dict)
        attempt_log = []
        _attempt_log = d.pop("attempt_log")
        for attempt_log_item_data in _attempt_log:
            attempt_log_item = QueueAttemptDto.from_dict(attempt_log_item_data)

            attempt_log.append(attempt_log_item)

        attempts = d.pop("attempts")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        domain = d.pop("domain")

        id = d.pop("id")

        message_id = d.pop("message_id")

        next_attempt_at = datetime.datetime.fromisoformat(d.pop("next_attempt_at"))

        recipient = d.pop("recipient")

        sender = d.pop("sender")

        size = d.pop("size")

        status = d.pop("status")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_last_reply(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_reply = _parse_last_reply(d.pop("last_reply", UNSET))

        def _parse_remote_host(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        remote_host = _parse_remote_host(d.pop("remote_host", UNSET))

        queue_entry_dto = cls(
            attempt_log=attempt_log,
            attempts=attempts,
            created_at=created_at,
            domain=domain,
            id=id,
            message_id=message_id,
            next_attempt_at=next_attempt_at,
            recipient=recipient,
            sender=sender,
            size=size,
            status=status,
            updated_at=updated_at,
            last_reply=last_reply,
            remote_host=remote_host,
        )

        queue_entry_dto.additional_properties = d
        return queue_entry_dto

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
