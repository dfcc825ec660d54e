from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.dns_check_result import DnsCheckResult


T = TypeVar("T", bound="DnsCheckFailed")


@_attrs_define
class DnsCheckFailed:
    """`dns.check.failed`: records of a domain that were `ok` at the previous
    periodic check and are not now.

        Attributes:
            domain (str):
            failures (list[DnsCheckResult]):
    """

    domain: str
    failures: list[DnsCheckResult]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        domain = self.domain

        failures = []
        for failures_item_data in self.failures:
            failures_item = failures_item_data.to_dict()
            failures.append(failures_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "domain": domain,
                "failures": failures,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.dns_check_result import DnsCheckResult  # noqa: PLC0415

        d = dict(src_dict)
        domain = d.pop("domain")

        failures = []
        _failures = d.pop("failures")
        for failures_item_data in _failures:
            failures_item = DnsCheckResult.from_dict(failures_item_data)

            failures.append(failures_item)

        dns_check_failed = cls(
            domain=domain,
            failures=failures,
        )

        dns_check_failed.additional_properties = d
        return dns_check_failed

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
