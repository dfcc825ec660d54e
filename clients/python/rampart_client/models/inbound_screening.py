from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.weights import Weights


T = TypeVar("T", bound="InboundScreening")


@_attrs_define
class InboundScreening:
    """`/v1/settings/inbound-screening`: what each finding weighs and what a
    score leads to. Applies to sessions that are neither authenticated nor
    from a trusted network.

        Attributes:
            enabled (bool | Unset): Off: no checks, no headers, every message delivered to INBOX. Default: True.
            honor_dmarc_quarantine (bool | Unset): File in Junk when DMARC fails and the policy is `quarantine`. Default:
                True.
            honor_dmarc_reject (bool | Unset): Refuse (550 5.7.1) when DMARC fails and the domain's policy is `reject`.
                Default: True.
            junk_score (float | Unset): At or above this score the message is filed in Junk. Default: 5.0.
            reject_score (float | Unset): At or above this score the message is refused at the end of DATA. Default: 12.0.
            reject_without_ptr (bool | Unset): Refuse mail from clients whose IP has no forward-confirmed PTR. Default:
                False.
            tempfail_on_dns_error (bool | Unset): Answer 451 when a DNS lookup timed out or failed (SPF, DMARC or
                iprev `temperror`) instead of scoring the message as it is. Default: False.
            weights (Weights | Unset): Score added by each finding.
    """

    enabled: bool | Unset = True
    honor_dmarc_quarantine: bool | Unset = True
    honor_dmarc_reject: bool | Unset = True
    junk_score: float | Unset = 5.0
    reject_score: float | Unset = 12.0
    reject_without_ptr: bool | Unset = False
    tempfail_on_dns_error: bool | Unset = False
    weights: Weights | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        honor_dmarc_quarantine = self.honor_dmarc_quarantine

        honor_dmarc_reject = self.honor_dmarc_reject

        junk_score = self.junk_score

        reject_score = self.reject_score

        reject_without_ptr = self.reject_without_ptr

        tempfail_on_dns_error = self.tempfail_on_dns_error

        weights: dict[str, Any] | Unset = UNSET
        if not isinstance(self.weights, Unset):
            weights = self.weights.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if honor_dmarc_quarantine is not UNSET:
            field_dict["honor_dmarc_quarantine"] = honor_dmarc_quarantine
        if honor_dmarc_reject is not UNSET:
            field_dict["honor_dmarc_reject"] = honor_dmarc_reject
        if junk_score is not UNSET:
            field_dict["junk_score"] = junk_score
        if reject_score is not UNSET:
            field_dict["reject_score"] = reject_score
        if reject_without_ptr is not UNSET:
            field_dict["reject_without_ptr"] = reject_without_ptr
        if tempfail_on_dns_error is not UNSET:
            field_dict["tempfail_on_dns_error"] = tempfail_on_dns_error
        if weights is not UNSET:
            field_dict["weights"] = weights

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.weights import Weights  # noqa: PLC0415

        d = dict(src_dict)
        enabled = d.pop("enabled", UNSET)

        honor_dmarc_quarantine = d.pop("honor_dmarc_quarantine", UNSET)

        honor_dmarc_reject = d.pop("honor_dmarc_reject", UNSET)

        junk_score = d.pop("junk_score", UNSET)

        reject_score = d.pop("reject_score", UNSET)

        reject_without_ptr = d.pop("reject_without_ptr", UNSET)

        tempfail_on_dns_error = d.pop("tempfail_on_dns_error", UNSET)

        _weights = d.pop("weights", UNSET)
        weights: Weights | Unset
        if isinstance(_weights, Unset):
            weights = UNSET
        else:
            weights = Weights.from_dict(_weights)

        inbound_screening = cls(
            enabled=enabled,
            honor_dmarc_quarantine=honor_dmarc_quarantine,
            honor_dmarc_reject=honor_dmarc_reject,
            junk_score=junk_score,
            reject_score=reject_score,
            reject_without_ptr=reject_without_ptr,
            tempfail_on_dns_error=tempfail_on_dns_error,
            weights=weights,
        )

        return inbound_screening
