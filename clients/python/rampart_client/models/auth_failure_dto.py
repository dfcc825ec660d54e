from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AuthFailureDto")


@_attrs_define
class AuthFailureDto:
    """
    Attributes:
        at (datetime.datetime):
        id (int):
        ip (str):
        protocol (str): `smtp`, `submission`, `imap`, `pop3` or `api`.
        reason (str):
        username (str):
    """

    at: datetime.datetime
    id: int
    ip: str
    protocol: str
    reason: str
    username: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        id = self.id

        ip = self.ip

        protocol = self.protocol

        reason = self.reason

        username = self.username

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "id": id,
                "ip": ip,
                "protocol": protocol,
                "reason": reason,
                "username": username,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        id = d.pop("id")

        ip = d.pop("ip")

        protocol = d.pop("protocol")

        reason = d.pop("reason")

        username = d.pop("username")

        auth_failure_dto = cls(
            at=at,
            id=id,
            ip=ip,
            protocol=protocol,
            reason=reason,
            username=username,
        )

        auth_failure_dto.additional_properties = d
        return auth_failure_dto

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
