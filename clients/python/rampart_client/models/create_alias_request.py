from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="CreateAliasRequest")


@_attrs_define
class CreateAliasRequest:
    """
    Attributes:
        address (str): The alias address, in a local domain.
        targets (list[str]): Existing accounts that receive the alias's mail (1 to 100).
    """

    address: str
    targets: list[str]

    def to_dict(self) -> dict[str, Any]:
        address = self.address

        targets = self.targets

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "address": address,
                "targets": targets,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        address = d.pop("address")

        targets = cast(list[str], d.pop("targets"))

        create_alias_request = cls(
            address=address,
            targets=targets,
        )

        return create_alias_request
