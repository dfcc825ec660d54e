from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PaginatedAttachmentLinkDtoItemsItem")


@_attrs_define
class PaginatedAttachmentLinkDtoItemsItem:
    """
    Attributes:
        account (str):
        content_type (str):
        created_at (datetime.datetime):
        downloads (int):
        expires_at (datetime.datetime):
        file_name (str):
        id (int):
        sha256 (str):
        size (int):
        url (str): The download link sent in place of the attachment.
        last_download_at (datetime.datetime | None | Unset):
        revoked_at (datetime.datetime | None | Unset):
    """

    account: str
    content_type: str
    created_at: datetime.datetime
    downloads: int
    expires_at: datetime.datetime
    file_name: str
    id: int
    sha256: str
    size: int
    url: str
    last_download_at: datetime.datetime | None | Unset = UNSET
    revoked_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account = self.account

        content_type = self.content_type

        created_at = self.created_at.isoformat()

        downloads = self.downloads

        expires_at = self.expires_at.isoformat()

        file_name = self.file_name

        id = self.id

        sha256 = self.sha256

        size = self.size

        url = self.url

        last_download_at: None | str | Unset
        if isinstance(self.last_download_at, Unset):
            last_download_at = UNSET
        elif isinstance(self.last_download_at, datetime.datetime):
            last_download_at = self.last_download_at.isoformat()
        else:
            last_download_at = self.last_download_at

        revoked_at: None | str | Unset
        if isinstance(self.revoked_at, Unset):
            revoked_at = UNSET
        elif isinstance(self.revoked_at, datetime.datetime):
            revoked_at = self.revoked_at.isoformat()
        else:
            revoked_at = self.revoked_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account": account,
                "content_type": content_type,
                "created_at": created_at,
                "downloads": downloads,
                "expires_at": expires_at,
                "file_name": file_name,
                "id": id,
                "sha256": sha256,
                "size": size,
                "url": url,
            }
        )
        if last_download_at is not UNSET:
            field_dict["last_download_at"] = last_download_at
        if revoked_at is not UNSET:
            field_dict["revoked_at"] = revoked_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account = d.pop("account")

        content_type = d.pop("content_type")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        downloads = d.pop("downloads")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        file_name = d.pop("file_name")

        id = d.pop("id")

        sha256 = d.pop("sha256")

        size = d.pop("size")

        url = d.pop("url")

        def _parse_last_download_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_download_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_download_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_download_at = _parse_last_download_at(d.pop("last_download_at", UNSET))

        def _parse_revoked_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                revoked_at_type_0 = datetime.datetime.fromisoformat(data)

                return revoked_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        revoked_at = _parse_revoked_at(d.pop("revoked_at", UNSET))

        paginated_attachment_link_dto_items_item = cls(
            account=account,
            content_type=content_type,
            created_at=created_at,
            downloads=downloads,
            expires_at=expires_at,
            file_name=file_name,
            id=id,
            sha256=sha256,
            size=size,
            url=url,
            last_download_at=last_download_at,
            revoked_at=revoked_at,
        )

        paginated_attachment_link_dto_items_item.additional_properties = d
        return paginated_attachment_link_dto_items_item

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
