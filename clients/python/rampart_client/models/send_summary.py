from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SendSummary")


@_attrs_define
class SendSummary:
    """What a report run did.

    Attributes:
        reports (int): Reports queued (one per domain with rows).
        rows (int): Message rows they covered.
        unauthorised (int): Domains skipped because no `rua` address accepted reports from us.
    """

    reports: int
    rows: int
    unauthorised: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        reports = self.reports

        rows = self.rows

        unauthorised = self.unauthorised

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "reports": reports,
                "rows": rows,
                "unauthorised": unauthorised,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        reports = d.pop("reports")

        rows = d.pop("rows")

        unauthorised = d.pop("unauthorised")

        send_summary = cls(
            reports=reports,
            rows=rows,
            unauthorised=unauthorised,
        )

        send_summary.additional_properties = d
        return send_summary

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
