from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="NotificationSettings")


@_attrs_define
class NotificationSettings:
    """Who receives the server's notification emails (frozen accounts, failed
    logins, blocked IPs).

        Attributes:
            admin_addresses (list[str]):
    """

    admin_addresses: list[str]

    def to_dict(self) -> dict[str, Any]:
        admin_addresses = self.admin_addresses

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "admin_addresses": admin_addresses,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        admin_addresses = cast(list[str], d.pop("admin_addresses"))

        notification_settings = cls(
            admin_addresses=admin_addresses,
        )

        return notification_settings
