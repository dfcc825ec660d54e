from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="HijackSettings")


@_attrs_define
class HijackSettings:
    """`/v1/settings/hijack-detection`.

    Attributes:
        enabled (bool):
        exempt_accounts (list[str]): Accounts never counted (e.g. a newsletter sender).
        freeze_on_limit (bool): Freeze the account when it goes over the limit.
        max_messages (int): Messages allowed per window (unless the account has its own `sending_limit`).
        window_seconds (int):
        count_recipients (bool | Unset): Count recipients instead of messages: a message to 50 people counts 50.
    """

    enabled: bool
    exempt_accounts: list[str]
    freeze_on_limit: bool
    max_messages: int
    window_seconds: int
    count_recipients: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        exempt_accounts = self.exempt_accounts

        freeze_on_limit = self.freeze_on_limit

        max_messages = self.max_messages

        window_seconds = self.window_seconds

        count_recipients = self.count_recipients

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "enabled": enabled,
                "exempt_accounts": exempt_accounts,
                "freeze_on_limit": freeze_on_limit,
                "max_messages": max_messages,
                "window_seconds": window_seconds,
            }
        )
        if count_recipients is not UNSET:
            field_dict["count_recipients"] = count_recipients

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        enabled = d.pop("enabled")

        exempt_accounts = cast(list[str], d.pop("exempt_accounts"))

        freeze_on_limit = d.pop("freeze_on_limit")

        max_messages = d.pop("max_messages")

        window_seconds = d.pop("window_seconds")

        count_recipients = d.pop("count_recipients", UNSET)

        hijack_settings = cls(
            enabled=enabled,
            exempt_accounts=exempt_accounts,
            freeze_on_limit=freeze_on_limit,
            max_messages=max_messages,
            window_seconds=window_seconds,
            count_recipients=count_recipients,
        )

        return hijack_settings
