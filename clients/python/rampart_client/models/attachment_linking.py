from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="AttachmentLinking")


@_attrs_define
class AttachmentLinking:
    """Outbound attachment linking for one account.

    Attributes:
        enabled (bool):
        expires_after_days (int): Links and their files are removed this many days after sending.
        min_size_bytes (int): Attachments at or above this size are replaced by a link.
        extract_inbound (bool | Unset): Also replace large attachments of mail this account receives by
            links (in its stored copy), with the same size and expiry.
    """

    enabled: bool
    expires_after_days: int
    min_size_bytes: int
    extract_inbound: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        expires_after_days = self.expires_after_days

        min_size_bytes = self.min_size_bytes

        extract_inbound = self.extract_inbound

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "enabled": enabled,
                "expires_after_days": expires_after_days,
                "min_size_bytes": min_size_bytes,
            }
        )
        if extract_inbound is not UNSET:
            field_dict["extract_inbound"] = extract_inbound

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        enabled = d.pop("enabled")

        expires_after_days = d.pop("expires_after_days")

        min_size_bytes = d.pop("min_size_bytes")

        extract_inbound = d.pop("extract_inbound", UNSET)

        attachment_linking = cls(
            enabled=enabled,
            expires_after_days=expires_after_days,
            min_size_bytes=min_size_bytes,
            extract_inbound=extract_inbound,
        )

        return attachment_linking
