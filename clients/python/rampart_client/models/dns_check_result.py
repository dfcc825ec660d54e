from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.check_status import CheckStatus

T = TypeVar("T", bound="DnsCheckResult")


@_attrs_define
class DnsCheckResult:
    """One check's result.

    Attributes:
        check (str): `mx`, `a`, `ptr`, `spf`, `dkim`, `dmarc`, `mta-sts` or `tls-rpt`.
        expected (str):
        fix (str): How to fix it; empty when `ok`.
        found (str):
        name (str):
        status (CheckStatus): The state of one published record.
    """

    check: str
    expected: str
    fix: str
    found: str
    name: str
    status: CheckStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        check = self.check

        expected = self.expected

        fix = self.fix

        found = self.found

        name = self.name

        status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "check": check,
                "expected": expected,
                "fix": fix,
                "found": found,
                "name": name,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        check = d.pop("check")

        expected = d.pop("expected")

        fix = d.pop("fix")

        found = d.pop("found")

        name = d.pop("name")

        status = CheckStatus(d.pop("status"))

        dns_check_result = cls(
            check=check,
            expected=expected,
            fix=fix,
            found=found,
            name=name,
            status=status,
        )

        dns_check_result.additional_properties = d
        return dns_check_result

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
