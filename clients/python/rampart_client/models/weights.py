from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="Weights")


@_attrs_define
class Weights:
    """Score added by each finding.

    Attributes:
        arc_fail (float | Unset):  Default: 1.0.
        dkim_fail (float | Unset): Per failing DKIM signature (at most once per message). Default: 3.0.
        dkim_none (float | Unset):  Default: 0.5.
        dmarc_fail (float | Unset):  Default: 4.0.
        helo_invalid (float | Unset): HELO is our own name, or an IP literal that is not the client's. Default: 3.0.
        ptr_missing (float | Unset): No PTR, or a PTR whose name does not resolve back to the client IP. Default: 2.0.
        spf_fail (float | Unset):  Default: 5.0.
        spf_neutral (float | Unset):  Default: 0.5.
        spf_none (float | Unset):  Default: 1.0.
        spf_permerror (float | Unset):  Default: 1.0.
        spf_softfail (float | Unset):  Default: 2.0.
        spf_temperror (float | Unset):  Default: 0.0.
    """

    arc_fail: float | Unset = 1.0
    dkim_fail: float | Unset = 3.0
    dkim_none: float | Unset = 0.5
    dmarc_fail: float | Unset = 4.0
    helo_invalid: float | Unset = 3.0
    ptr_missing: float | Unset = 2.0
    spf_fail: float | Unset = 5.0
    spf_neutral: float | Unset = 0.5
    spf_none: float | Unset = 1.0
    spf_permerror: float | Unset = 1.0
    spf_softfail: float | Unset = 2.0
    spf_temperror: float | Unset = 0.0

    def to_dict(self) -> dict[str, Any]:
        arc_fail = self.arc_fail

        dkim_fail = self.dkim_fail

        dkim_none = self.dkim_none

        dmarc_fail = self.dmarc_fail

        helo_invalid = self.helo_invalid

        ptr_missing = self.ptr_missing

        spf_fail = self.spf_fail

        spf_neutral = self.spf_neutral

        spf_none = self.spf_none

        spf_permerror = self.spf_permerror

        spf_softfail = self.spf_softfail

        spf_temperror = self.spf_temperror

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if arc_fail is not UNSET:
            field_dict["arc_fail"] = arc_fail
        if dkim_fail is not UNSET:
            field_dict["dkim_fail"] = dkim_fail
        if dkim_none is not UNSET:
            field_dict["dkim_none"] = dkim_none
        if dmarc_fail is not UNSET:
            field_dict["dmarc_fail"] = dmarc_fail
        if helo_invalid is not UNSET:
            field_dict["helo_invalid"] = helo_invalid
        if ptr_missing is not UNSET:
            field_dict["ptr_missing"] = ptr_missing
        if spf_fail is not UNSET:
            field_dict["spf_fail"] = spf_fail
        if spf_neutral is not UNSET:
            field_dict["spf_neutral"] = spf_neutral
        if spf_none is not UNSET:
            field_dict["spf_none"] = spf_none
        if spf_permerror is not UNSET:
            field_dict["spf_permerror"] = spf_permerror
        if spf_softfail is not UNSET:
            field_dict["spf_softfail"] = spf_softfail
        if spf_temperror is not UNSET:
            field_dict["spf_temperror"] = spf_temperror

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        arc_fail = d.pop("arc_fail", UNSET)

        dkim_fail = d.pop("dkim_fail", UNSET)

        dkim_none = d.pop("dkim_none", UNSET)

        dmarc_fail = d.pop("dmarc_fail", UNSET)

        helo_invalid = d.pop("helo_invalid", UNSET)

        ptr_missing = d.pop("ptr_missing", UNSET)

        spf_fail = d.pop("spf_fail", UNSET)

        spf_neutral = d.pop("spf_neutral", UNSET)

        spf_none = d.pop("spf_none", UNSET)

        spf_permerror = d.pop("spf_permerror", UNSET)

        spf_softfail = d.pop("spf_softfail", UNSET)

        spf_temperror = d.pop("spf_temperror", UNSET)

        weights = cls(
            arc_fail=arc_fail,
            dkim_fail=dkim_fail,
            dkim_none=dkim_none,
            dmarc_fail=dmarc_fail,
            helo_invalid=helo_invalid,
            ptr_missing=ptr_missing,
            spf_fail=spf_fail,
            spf_neutral=spf_neutral,
            spf_none=spf_none,
            spf_permerror=spf_permerror,
            spf_softfail=spf_softfail,
            spf_temperror=spf_temperror,
        )

        return weights
