from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.account_status import AccountStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.attachment_linking import AttachmentLinking
    from ..models.sending_limit import SendingLimit


T = TypeVar("T", bound="AccountDto")


@_attrs_define
class AccountDto:
    """
    Attributes:
        address (str):
        attachment_linking (AttachmentLinking): Outbound attachment linking for one account.
        created_at (datetime.datetime):
        domain (str):
        status (AccountStatus):
        used_bytes (int):
        display_name (None | str | Unset):
        frozen_at (datetime.datetime | None | Unset):
        frozen_reason (None | str | Unset):
        quota_bytes (int | None | Unset): `null`: no quota.
        sending_limit (None | SendingLimit | Unset):
    """

    address: str
    attachment_linking: AttachmentLinking
    created_at: datetime.datetime
    domain: str
    status: AccountStatus
    used_bytes: int
    display_name: None | str | Unset = UNSET
    frozen_at: datetime.datetime | None | Unset = UNSET
    frozen_reason: None | str | Unset = UNSET
    quota_bytes: int | None | Unset = UNSET
    sending_limit: None | SendingLimit | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.sending_limit import SendingLimit  # noqa: PLC0415

        address = self.address

        attachment_linking = self.attachment_linking.to_dict()

        created_at = self.created_at.isoformat()

        domain = self.domain

        status = self.status.value

        used_bytes = self.used_bytes

        display_name: None | str | Unset
        if isinstance(self.display_name, Unset):
            display_name = UNSET
        else:
            display_name = self.display_name

        frozen_at: None | str | Unset
        if isinstance(self.frozen_at, Unset):
            frozen_at = UNSET
        elif isinstance(self.frozen_at, datetime.datetime):
            frozen_at = self.frozen_at.isoformat()
        else:
            frozen_at = self.frozen_at

        frozen_reason: None | str | Unset
        if isinstance(self.frozen_reason, Unset):
            frozen_reason = UNSET
        else:
            frozen_reason = self.frozen_reason

        quota_bytes: int | None | Unset
        if isinstance(self.quota_bytes, Unset):
            quota_bytes = UNSET
        else:
            quota_bytes = self.quota_bytes

        sending_limit: dict[str, Any] | None | Unset
        if isinstance(self.sending_limit, Unset):
            sending_limit = UNSET
        elif isinstance(self.sending_limit, SendingLimit):
            sending_limit = self.sending_limit.to_dict()
        else:
            sending_limit = self.sending_limit

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "address": address,
                "attachment_linking": attachment_linking,
                "created_at": created_at,
                "domain": domain,
                "status": status,
                "used_bytes": used_bytes,
            }
        )
        if display_name is not UNSET:
            field_dict["display_name"] = display_name
        if frozen_at is not UNSET:
            field_dict["frozen_at"] = frozen_at
        if frozen_reason is not UNSET:
            field_dict["frozen_reason"] = frozen_reason
        if quota_bytes is not UNSET:
            field_dict["quota_bytes"] = quota_bytes
        if sending_limit is not UNSET:
            field_dict["sending_limit"] = sending_limit

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.attachment_linking import AttachmentLinking  # noqa: PLC0415
        from ..models.sending_limit import SendingLimit  # noqa: PLC0415

        d = dict(src_dict)
        address = d.pop("address")

        attachment_linking = AttachmentLinking.from_dict(d.pop("attachment_linking"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        domain = d.pop("domain")

        status = AccountStatus(d.pop("status"))

        used_bytes = d.pop("used_bytes")

        def _parse_display_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        display_name = _parse_display_name(d.pop("display_name", UNSET))

        def _parse_frozen_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                frozen_at_type_0 = datetime.datetime.fromisoformat(data)

                return frozen_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        frozen_at = _parse_frozen_at(d.pop("frozen_at", UNSET))

        def _parse_frozen_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        frozen_reason = _parse_frozen_reason(d.pop("frozen_reason", UNSET))

        def _parse_quota_bytes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        quota_bytes = _parse_quota_bytes(d.pop("quota_bytes", UNSET))

        def _parse_sending_limit(data: object) -> None | SendingLimit | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                sending_limit_type_1 = SendingLimit.from_dict(data)

                return sending_limit_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SendingLimit | Unset, data)

        sending_limit = _parse_sending_limit(d.pop("sending_limit", UNSET))

        account_dto = cls(
            address=address,
            attachment_linking=attachment_linking,
            created_at=created_at,
            domain=domain,
            status=status,
            used_bytes=used_bytes,
            display_name=display_name,
            frozen_at=frozen_at,
            frozen_reason=frozen_reason,
            quota_bytes=quota_bytes,
            sending_limit=sending_limit,
        )

        account_dto.additional_properties = d
        return account_dto

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
