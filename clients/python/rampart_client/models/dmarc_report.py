from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.dmarc_report_report_type_0 import DmarcReportReportType0


T = TypeVar("T", bound="DmarcReport")


@_attrs_define
class DmarcReport:
    """A received aggregate report.

    Attributes:
        date_begin (int): Period covered, Unix seconds.
        date_end (int):
        domain (str): The domain it is about (one of ours).
        id (int):
        org_name (str): Who sent it.
        received_at (datetime.datetime):
        recipient (str): The address it was sent to.
        report_id (str):
        report (DmarcReportReportType0 | None | Unset): The whole report (RFC 7489 appendix C, as JSON); only on
            `GET /v1/dmarc-reports/{id}`.
    """

    date_begin: int
    date_end: int
    domain: str
    id: int
    org_name: str
    received_at: datetime.datetime
    recipient: str
    report_id: str
    report: DmarcReportReportType0 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.dmarc_report_report_type_0 import DmarcReportReportType0  # noqa: PLC0415

        date_begin = self.date_begin

        date_end = self.date_end

        domain = self.domain

        id = self.id

        org_name = self.org_name

        received_at = self.received_at.isoformat()

        recipient = self.recipient

        report_id = self.report_id

        report: dict[str, Any] | None | Unset
        if isinstance(self.report, Unset):
            report = UNSET
        elif isinstance(self.report, DmarcReportReportType0):
            report = self.report.to_dict()
        else:
            report = self.report

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "date_begin": date_begin,
                "date_end": date_end,
                "domain": domain,
                "id": id,
                "org_name": org_name,
                "received_at": received_at,
                "recipient": recipient,
                "report_id": report_id,
            }
        )
        if report is not UNSET:
            field_dict["report"] = report

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.dmarc_report_report_type_0 import DmarcReportReportType0  # noqa: PLC0415

        d = dict(src_dict)
        date_begin = d.pop("date_begin")

        date_end = d.pop("date_end")

        domain = d.pop("domain")

        id = d.pop("id")

        org_name = d.pop("org_name")

        received_at = datetime.datetime.fromisoformat(d.pop("received_at"))

        recipient = d.pop("recipient")

        report_id = d.pop("report_id")

        def _parse_report(data: object) -> DmarcReportReportType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                report_type_0 = DmarcReportReportType0.from_dict(data)

                return report_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DmarcReportReportType0 | None | Unset, data)

        report = _parse_report(d.pop("report", UNSET))

        dmarc_report = cls(
            date_begin=date_begin,
            date_end=date_end,
            domain=domain,
            id=id,
            org_name=org_name,
            received_at=received_at,
            recipient=recipient,
            report_id=report_id,
            report=report,
        )

        dmarc_report.additional_properties = d
        return dmarc_report

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
