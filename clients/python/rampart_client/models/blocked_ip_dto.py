from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="BlockedIpDto")


@_attrs_define
class BlockedIpDto:
    """
    Attributes:
        created_at (datetime.datetime):
        manual (bool):
        network (str): An address or CIDR network.
        offenses (int): How many times it has been blocked; automatic blocks double each time.
        reason (str):
        until (datetime.datetime):
    """

    created_at: datetime.datetime
    manual: bool
    network: str
    offenses: int
    reason: str
    until: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        manual = self.manual

        network = self.network

        offenses = self.offenses

        reason = self.reason

        until = self.until.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "manual": manual,
                "network": network,
                "offenses": offenses,
                "reason": reason,
                "until": until,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        manual = d.pop("manual")

        network = d.pop("network")

        offenses = d.pop("offenses")

        reason = d.pop("reason")

        until = datetime.datetime.fromisoformat(d.pop("until"))

        blocked_ip_dto = cls(
            created_at=created_at,
            manual=manual,
            network=network,
            offenses=offenses,
            reason=reason,
            until=until,
        )

        blocked_ip_dto.additional_properties = d
        return blocked_ip_dto

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
