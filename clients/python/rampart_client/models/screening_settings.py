from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ScreeningSettings")


@_attrs_define
class ScreeningSettings:
    """`/v1/settings/auth-failure-screening`.

    Attributes:
        block_seconds (int): First block; a repeat offender's next block lasts twice as long.
        enabled (bool): Block IPs (failures are recorded either way).
        ignore_repeated_password (bool): The same wrong password for the same user from the same IP counts once
            (a client retrying a stale password is not an attacker).
        max_failures (int):
        notify_after_failures (int): Email the admins when one account reaches this many failures in the window.
        window_seconds (int):
        never_block (list[str] | Unset): Networks never blocked (trusted networks never are either).
    """

    block_seconds: int
    enabled: bool
    ignore_repeated_password: bool
    max_failures: int
    notify_after_failures: int
    window_seconds: int
    never_block: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        block_seconds = self.block_seconds

        enabled = self.enabled

        ignore_repeated_password = self.ignore_repeated_password

        max_failures = self.max_failures

        notify_after_failures = self.notify_after_failures

        window_seconds = self.window_seconds

        never_block: list[str] | Unset = UNSET
        if not isinstance(self.never_block, Unset):
            never_block = self.never_block

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "block_seconds": block_seconds,
                "enabled": enabled,
                "ignore_repeated_password": ignore_repeated_password,
                "max_failures": max_failures,
                "notify_after_failures": notify_after_failures,
                "window_seconds": window_seconds,
            }
        )
        if never_block is not UNSET:
            field_dict["never_block"] = never_block

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        block_seconds = d.pop("block_seconds")

        enabled = d.pop("enabled")

        ignore_repeated_password = d.pop("ignore_repeated_password")

        max_failures = d.pop("max_failures")

        notify_after_failures = d.pop("notify_after_failures")

        window_seconds = d.pop("window_seconds")

        never_block = cast(list[str], d.pop("never_block", UNSET))

        screening_settings = cls(
            block_seconds=block_seconds,
            enabled=enabled,
            ignore_repeated_password=ignore_repeated_password,
            max_failures=max_failures,
            notify_after_failures=notify_after_failures,
            window_seconds=window_seconds,
            never_block=never_block,
        )

        return screening_settings
