from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AttachmentLinked")


@_attrs_define
class AttachmentLinked:
    """`attachment.linked`: an attachment was replaced by a download link.

    Attributes:
        account (str):
        expires_at (str): RFC 3339.
        file_name (str):
        link_id (int):
        sha256 (str):
        size (int):
    """

    account: str
    expires_at: str
    file_name: str
    link_id: int
    sha256: str
    size: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account = self.account

        expires_at = self.expires_at

        file_name = self.file_name

        link_id = self.link_id

        sha256 = self.sha256

        size = self.size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account": account,
                "expires_at": expires_at,
                "file_name": file_name,
                "link_id": link_id,
                "sha256": sha256,
                "size": size,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account = d.pop("account")

        expires_at = d.pop("expires_at")

        file_name = d.pop("file_name")

        link_id = d.pop("link_id")

        sha256 = d.pop("sha256")

        size = d.pop("size")

        attachment_linked = cls(
            account=account,
            expires_at=expires_at,
            file_name=file_name,
            link_id=link_id,
            sha256=sha256,
            size=size,
        )

        attachment_linked.additional_properties = d
        return attachment_linked

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
