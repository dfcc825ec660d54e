from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.ip_shield_entry import IpShieldEntry


T = TypeVar("T", bound="IpShieldSettings")


@_attrs_define
class IpShieldSettings:
    """`/v1/settings/ip-shield`: domains whose mail may only come from listed networks.

    Attributes:
        enabled (bool):
        entries (list[IpShieldEntry]):
    """

    enabled: bool
    entries: list[IpShieldEntry]

    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        entries = []
        for entries_item_data in self.entries:
            entries_item = entries_item_data.to_dict()
            entries.append(entries_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "enabled": enabled,
                "entries": entries,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.ip_shield_entry import IpShieldEntry  # noqa: PLC0415

        d = dict(src_dict)
        enabled = d.pop("enabled")

        entries = []
        _entries = d.pop("entries")
        for entries_item_data in _entries:
            entries_item = IpShieldEntry.from_dict(entries_item_data)

            entries.append(entries_item)

        ip_shield_settings = cls(
            enabled=enabled,
            entries=entries,
        )

        return ip_shield_settings
