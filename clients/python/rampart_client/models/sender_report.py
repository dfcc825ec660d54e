from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.verdict import Verdict
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.check_result import CheckResult
    from ..models.score_part import ScorePart


T = TypeVar("T", bound="SenderReport")


@_attrs_define
class SenderReport:
    """Every finding, the score and the verdict.

    Attributes:
        dkim (list[CheckResult]):
        headers (str): The `Authentication-Results:`, `Received-SPF:` and score headers
            prepended to a delivered message.
        helo (CheckResult): One check's outcome.
        iprev (CheckResult): One check's outcome.
        reason (str): Why the verdict, in words (the SMTP reply text for refusals).
        score (float):
        score_parts (list[ScorePart]):
        spf (CheckResult): One check's outcome.
        verdict (Verdict): What happens to the message.
        arc (CheckResult | None | Unset):
        dmarc (CheckResult | None | Unset):
        dmarc_policy (None | str | Unset): The DMARC policy that applied (`none`, `quarantine`, `reject`).
    """

    dkim: list[CheckResult]
    headers: str
    helo: CheckResult
    iprev: CheckResult
    reason: str
    score: float
    score_parts: list[ScorePart]
    spf: CheckResult
    verdict: Verdict
    arc: CheckResult | None | Unset = UNSET
    dmarc: CheckResult | None | Unset = UNSET
    dmarc_policy: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.check_result import CheckResult  # noqa: PLC0415

        dkim = []
        for dkim_item_data in self.dkim:
            dkim_item = dkim_item_data.to_dict()
            dkim.append(dkim_item)

        headers = self.headers

        helo = self.helo.to_dict()

        iprev = self.iprev.to_dict()

        reason = self.reason

        score = self.score

        score_parts = []
        for score_parts_item_data in self.score_parts:
            score_parts_item = score_parts_item_data.to_dict()
            score_parts.append(score_parts_item)

        spf = self.spf.to_dict()

        verdict = self.verdict.value

        arc: dict[str, Any] | None | Unset
        if isinstance(self.arc, Unset):
            arc = UNSET
        elif isinstance(self.arc, CheckResult):
            arc = self.arc.to_dict()
        else:
            arc = self.arc

        dmarc: dict[str, Any] | None | Unset
        if isinstance(self.dmarc, Unset):
            dmarc = UNSET
        elif isinstance(self.dmarc, CheckResult):
            dmarc = self.dmarc.to_dict()
        else:
            dmarc = self.dmarc

        dmarc_policy: None | str | Unset
        if isinstance(self.dmarc_policy, Unset):
            dmarc_policy = UNSET
        else:
            dmarc_policy = self.dmarc_policy

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "dkim": dkim,
                "headers": headers,
                "helo": helo,
                "iprev": iprev,
                "reason": reason,
                "score": score,
                "score_parts": score_parts,
                "spf": spf,
                "verdict": verdict,
            }
        )
        if arc is not UNSET:
            field_dict["arc"] = arc
        if dmarc is not UNSET:
            field_dict["dmarc"] = dmarc
        if dmarc_policy is not UNSET:
            field_dict["dmarc_policy"] = dmarc_policy

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.check_result import CheckResult  # noqa: PLC0415
        from ..models.score_part import ScorePart  # noqa: PLC0415

        d = dict(src_dict)
        dkim = []
        _dkim = d.pop("dkim")
        for dkim_item_data in _dkim:
            dkim_item = CheckResult.from_dict(dkim_item_data)

            dkim.append(dkim_item)

        headers = d.pop("headers")

        helo = CheckResult.from_dict(d.pop("helo"))

        iprev = CheckResult.from_dict(d.pop("iprev"))

        reason = d.pop("reason")

        score = d.pop("score")

        score_parts = []
        _score_parts = d.pop("score_parts")
        for score_parts_item_data in _score_parts:
            score_parts_item = ScorePart.from_dict(score_parts_item_data)

            score_parts.append(score_parts_item)

        spf = CheckResult.from_dict(d.pop("spf"))

        verdict = Verdict(d.pop("verdict"))

        def _parse_arc(data: object) -> CheckResult | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                arc_type_1 = CheckResult.from_dict(data)

                return arc_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CheckResult | None | Unset, data)

        arc = _parse_arc(d.pop("arc", UNSET))

        def _parse_dmarc(data: object) -> CheckResult | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                dmarc_type_1 = CheckResult.from_dict(data)

                return dmarc_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CheckResult | None | Unset, data)

        dmarc = _parse_dmarc(d.pop("dmarc", UNSET))

        def _parse_dmarc_policy(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        dmarc_policy = _parse_dmarc_policy(d.pop("dmarc_policy", UNSET))

        sender_report = cls(
            dkim=dkim,
            headers=headers,
            helo=helo,
            iprev=iprev,
            reason=reason,
            score=score,
            score_parts=score_parts,
            spf=spf,
            verdict=verdict,
            arc=arc,
            dmarc=dmarc,
            dmarc_policy=dmarc_policy,
        )

        sender_report.additional_properties = d
        return sender_report

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
