from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SenderCheckRequest")


@_attrs_define
class SenderCheckRequest:
    """What the message is checked as.

    Attributes:
        helo (str):
        ip (str):
        mail_from (str | Unset): Envelope sender; empty for the null reverse-path.
        message (None | str | Unset): The message (headers and body) for DKIM, ARC and DMARC; without it
            only iprev, HELO and SPF are checked.
    """

    helo: str
    ip: str
    mail_from: str | Unset = UNSET
    message: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        helo = self.helo

        ip: str
        ip = self.ip

        mail_from = self.mail_from

        message: None | str | Unset
        if isinstance(self.message, Unset):
            message = UNSET
        else:
            message = self.message

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "helo": helo,
                "ip": ip,
            }
        )
        if mail_from is not UNSET:
            field_dict["mail_from"] = mail_from
        if message is not UNSET:
            field_dict["message"] = message

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        helo = d.pop("helo")

        def _parse_ip(data: object) -> str:
            return cast(str, data)

        ip = _parse_ip(d.pop("ip"))

        mail_from = d.pop("mail_from", UNSET)

        def _parse_message(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        message = _parse_message(d.pop("message", UNSET))

        sender_check_request = cls(
            helo=helo,
            ip=ip,
            mail_from=mail_from,
            message=message,
        )

        return sender_check_request
