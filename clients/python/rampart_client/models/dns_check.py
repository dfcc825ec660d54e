from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.check_status import CheckStatus

if TYPE_CHECKING:
    from ..models.dns_check_result import DnsCheckResult


T = TypeVar("T", bound="DnsCheck")


@_attrs_define
class DnsCheck:
    """
    Attributes:
        domain (str):
        results (list[DnsCheckResult]):
        status (CheckStatus): The state of one published record.
    """

    domain: str
    results: list[DnsCheckResult]
    status: CheckStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        domain = self.domain

        results = []
        for results_item_data in self.results:
            results_item = results_item_data.to_dict()
            results.append(results_item)

        status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "domain": domain,
                "results": results,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.dns_check_result import DnsCheckResult  # noqa: PLC0415

        d = dict(src_dict)
        domain = d.pop("domain")

        results = []
        _results = d.pop("results")
        for results_item_data in _results:
            results_item = DnsCheckResult.from_dict(results_item_data)

            results.append(results_item)

        status = CheckStatus(d.pop("status"))

        dns_check = cls(
            domain=domain,
            results=results,
            status=status,
        )

        dns_check.additional_properties = d
        return dns_check

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
