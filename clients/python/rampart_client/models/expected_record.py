from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ExpectedRecord")


@_attrs_define
class ExpectedRecord:
    """One record to publish.

    Attributes:
        name (str):
        ttl (int): Suggested TTL, seconds.
        type_ (str): `MX`, `A`, `AAAA`, `TXT` or `PTR`.
        value (str):
        why (str): What it is for, in words.
    """

    name: str
    ttl: int
    type_: str
    value: str
    why: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        ttl = self.ttl

        type_ = self.type_

        value = self.value

        why = self.why

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "ttl": ttl,
                "type": type_,
                "value": value,
                "why": why,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        ttl = d.pop("ttl")

        type_ = d.pop("type")

        value = d.pop("value")

        why = d.pop("why")

        expected_record = cls(
            name=name,
            ttl=ttl,
            type_=type_,
            value=value,
            why=why,
        )

        expected_record.additional_properties = d
        return expected_record

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
