from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PaginatedDkimKeyDtoItemsItem")


@_attrs_define
class PaginatedDkimKeyDtoItemsItem:
    """
    Attributes:
        active (bool): Whether this key signs outbound mail (one per domain; a newer key
            waits until it is published and activated).
        algorithm (str):
        created_at (datetime.datetime):
        dns_name (str): Where to publish the TXT record.
        dns_value (str): The TXT record's value.
        selector (str):
    """

    active: bool
    algorithm: str
    created_at: datetime.datetime
    dns_name: str
    dns_value: str
    selector: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        active = self.active

        algorithm = self.algorithm

        created_at = self.created_at.isoformat()

        dns_name = self.dns_name

        dns_value = self.dns_value

        selector = self.selector

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "active": active,
                "algorithm": algorithm,
                "created_at": created_at,
                "dns_name": dns_name,
                "dns_value": dns_value,
                "selector": selector,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        active = d.pop("active")

        algorithm = d.pop("algorithm")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        dns_name = d.pop("dns_name")

        dns_value = d.pop("dns_value")

        selector = d.pop("selector")

        paginated_dkim_key_dto_items_item = cls(
            active=active,
            algorithm=algorithm,
            created_at=created_at,
            dns_name=dns_name,
            dns_value=dns_value,
            selector=selector,
        )

        paginated_dkim_key_dto_items_item.additional_properties = d
        return paginated_dkim_key_dto_items_item

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
