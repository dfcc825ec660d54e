from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="IpShieldEntry")


@_attrs_define
class IpShieldEntry:
    """
    Attributes:
        domain (str):
        networks (list[str]):  Example: ['192.0.2.0/24'].
    """

    domain: str
    networks: list[str]

    def to_dict(self) -> dict[str, Any]:
        domain = self.domain

        networks = self.networks

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "domain": domain,
                "networks": networks,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        domain = d.pop("domain")

        networks = cast(list[str], d.pop("networks"))

        ip_shield_entry = cls(
            domain=domain,
            networks=networks,
        )

        return ip_shield_entry
