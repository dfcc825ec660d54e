from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="SendingLimit")


@_attrs_define
class SendingLimit:
    """A per-account sending limit that overrides the global hijack-detection limit.

    Attributes:
        max_messages (int): Messages allowed in one window.
        window_seconds (int): Length of the sliding window, in seconds.
    """

    max_messages: int
    window_seconds: int

    def to_dict(self) -> dict[str, Any]:
        max_messages = self.max_messages

        window_seconds = self.window_seconds

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "max_messages": max_messages,
                "window_seconds": window_seconds,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        max_messages = d.pop("max_messages")

        window_seconds = d.pop("window_seconds")

        sending_limit = cls(
            max_messages=max_messages,
            window_seconds=window_seconds,
        )

        return sending_limit
