from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.account_status import AccountStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.attachment_linking import AttachmentLinking
    from ..models.sending_limit import SendingLimit


T = TypeVar("T", bound="UpdateAccountRequest")


@_attrs_define
class UpdateAccountRequest:
    """Fields to change; absent fields stay as they are, `null` clears.

    Attributes:
        attachment_linking (AttachmentLinking | None | Unset):
        display_name (None | str | Unset):
        password (None | str | Unset):
        quota_bytes (int | None | Unset):
        sending_limit (None | SendingLimit | Unset):
        status (AccountStatus | None | Unset):
    """

    attachment_linking: AttachmentLinking | None | Unset = UNSET
    display_name: None | str | Unset = UNSET
    password: None | str | Unset = UNSET
    quota_bytes: int | None | Unset = UNSET
    sending_limit: None | SendingLimit | Unset = UNSET
    status: AccountStatus | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.attachment_linking import AttachmentLinking  # noqa: PLC0415
        from ..models.sending_limit import SendingLimit  # noqa: PLC0415

        attachment_linking: dict[str, Any] | None | Unset
        if isinstance(self.attachment_linking, Unset):
            attachment_linking = UNSET
        elif isinstance(self.attachment_linking, AttachmentLinking):
            attachment_linking = self.attachment_linking.to_dict()
        else:
            attachment_linking = self.attachment_linking

        display_name: None | str | Unset
        if isinstance(self.display_name, Unset):
            display_name = UNSET
        else:
            display_name = self.display_name

        password: None | str | Unset
        if isinstance(self.password, Unset):
            password = UNSET
        else:
            password = self.password

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

        status: None | str | Unset
        if isinstance(self.status, Unset):
            status = UNSET
        elif isinstance(self.status, AccountStatus):
            status = self.status.value
        else:
            status = self.status

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if attachment_linking is not UNSET:
            field_dict["attachment_linking"] = attachment_linking
        if display_name is not UNSET:
            field_dict["display_name"] = display_name
        if password is not UNSET:
            field_dict["password"] = password
        if quota_bytes is not UNSET:
            field_dict["quota_bytes"] = quota_bytes
        if sending_limit is not UNSET:
            field_dict["sending_limit"] = sending_limit
        if status is not UNSET:
            field_dict["status"] = status

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.attachment_linking import AttachmentLinking  # noqa: PLC0415
        from ..models.sending_limit import SendingLimit  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_attachment_linking(data: object) -> AttachmentLinking | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                attachment_linking_type_1 = AttachmentLinking.from_dict(data)

                return attachment_linking_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AttachmentLinking | None | Unset, data)

        attachment_linking = _parse_attachment_linking(d.pop("attachment_linking", UNSET))

        def _parse_display_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        display_name = _parse_display_name(d.pop("display_name", UNSET))

        def _parse_password(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        password = _parse_password(d.pop("password", UNSET))

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

        def _parse_status(data: object) -> AccountStatus | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                status_type_1 = AccountStatus(data)

                return status_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AccountStatus | None | Unset, data)

        status = _parse_status(d.pop("status", UNSET))

        update_account_request = cls(
            attachment_linking=attachment_linking,
            display_name=display_name,
            password=password,
            quota_bytes=quota_bytes,
            sending_limit=sending_limit,
            status=status,
        )

        return update_account_request
