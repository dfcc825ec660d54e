from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="IpBlocked")


@_attrs_define
class IpBlocked:
    """`ip.blocked`

    Attributes:
        manual (bool): Blocked through the API rather than by failed logins.
        network (str): An address or CIDR network.
        offenses (int): How many times this network has been blocked.
        reason (str):
        until (str): RFC 3339.
    """

    manual: bool
    network: str
    offenses: int
    reason: str
    until: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        manual = self.manual

        network = self.network

        offenses = self.offenses

        reason = self.reason

        until = self.until

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
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
        manual = d.pop("manual")

        network = d.pop("network")

        offenses = d.pop("offenses")

        reason = d.pop("reason")

        until = d.pop("until")

        ip_blocked = cls(
            manual=manual,
            network=network,
            offenses=offenses,
            reason=reason,
            until=until,
        )

        ip_blocked.additional_properties = d
        return ip_blocked

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
