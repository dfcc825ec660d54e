from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="BlockRequest")


@_attrs_define
class BlockRequest:
    """
    Attributes:
        network (str): An address or CIDR network, e.g. `198.51.100.0/24`.
        reason (None | str | Unset):
        seconds (int | None | Unset): How long; default one day, at most a year.
    """

    network: str
    reason: None | str | Unset = UNSET
    seconds: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        network = self.network

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        seconds: int | None | Unset
        if isinstance(self.seconds, Unset):
            seconds = UNSET
        else:
            seconds = self.seconds

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "network": network,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason
        if seconds is not UNSET:
            field_dict["seconds"] = seconds

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        network = d.pop("network")

        def _parse_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        def _parse_seconds(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        seconds = _parse_seconds(d.pop("seconds", UNSET))

        block_request = cls(
            network=network,
            reason=reason,
            seconds=seconds,
        )

        return block_request
