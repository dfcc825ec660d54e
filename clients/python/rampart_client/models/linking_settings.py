from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.attachment_linking import AttachmentLinking


T = TypeVar("T", bound="LinkingSettings")


@_attrs_define
class LinkingSettings:
    """`/v1/settings/attachment-linking`: the server-wide switch and the
    setting new accounts start with.

        Attributes:
            enabled (bool): Off: no account's attachments are linked, whatever its own setting.
            new_account_default (AttachmentLinking): Outbound attachment linking for one account.
    """

    enabled: bool
    new_account_default: AttachmentLinking

    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        new_account_default = self.new_account_default.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "enabled": enabled,
                "new_account_default": new_account_default,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.attachment_linking import AttachmentLinking  # noqa: PLC0415

        d = dict(src_dict)
        enabled = d.pop("enabled")

        new_account_default = AttachmentLinking.from_dict(d.pop("new_account_default"))

        linking_settings = cls(
            enabled=enabled,
            new_account_default=new_account_default,
        )

        return linking_settings
