from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="QueueAttemptDto")


@_attrs_define
class QueueAttemptDto:
    """One delivery attempt.

    Attributes:
        at (datetime.datetime):
        reply (str): Its reply, or our own reason.
        status (str): The state the attempt left the entry in (`deferred`, `delivered`,
            `bounced`, `expired`).
        remote_host (None | str | Unset): The mail host that answered; absent when none did (DNS failure,
            no connection).
    """

    at: datetime.datetime
    reply: str
    status: str
    remote_host: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        reply = self.reply

        status = self.status

        remote_host: None | str | Unset
        if isinstance(self.remote_host, Unset):
            remote_host = UNSET
        else:
            remote_host = self.remote_host

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "reply": reply,
                "status": status,
            }
        )
        if remote_host is not UNSET:
            field_dict["remote_host"] = remote_host

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        reply = d.pop("reply")

        status = d.pop("status")

        def _parse_remote_host(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        remote_host = _parse_remote_host(d.pop("remote_host", UNSET))

        queue_attempt_dto = cls(
            at=at,
            reply=reply,
            status=status,
            remote_host=remote_host,
        )

        queue_attempt_dto.additional_properties = d
        return queue_attempt_dto

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
