from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AttachmentDownloaded")


@_attrs_define
class AttachmentDownloaded:
    """`attachment.downloaded`

    Attributes:
        account (str):
        bytes_ (int): Octets sent (less than the size for a range request).
        file_name (str):
        ip (str):
        link_id (int):
        user_agent (str):
    """

    account: str
    bytes_: int
    file_name: str
    ip: str
    link_id: int
    user_agent: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account = self.account

        bytes_ = self.bytes_

        file_name = self.file_name

        ip = self.ip

        link_id = self.link_id

        user_agent = self.user_agent

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account": account,
                "bytes": bytes_,
                "file_name": file_name,
                "ip": ip,
                "link_id": link_id,
                "user_agent": user_agent,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account = d.pop("account")

        bytes_ = d.pop("bytes")

        file_name = d.pop("file_name")

        ip = d.pop("ip")

        link_id = d.pop("link_id")

        user_agent = d.pop("user_agent")

        attachment_downloaded = cls(
            account=account,
            bytes_=bytes_,
            file_name=file_name,
            ip=ip,
            link_id=link_id,
            user_agent=user_agent,
        )

        attachment_downloaded.additional_properties = d
        return attachment_downloaded

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
