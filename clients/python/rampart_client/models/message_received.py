from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="MessageReceived")


@_attrs_define
class MessageReceived:
    """`message.received`: one per local recipient account.

    Attributes:
        account (str):
        authenticated (bool): Whether it came from an authenticated session.
        client_ip (str):
        mailbox (str):
        message_id (str): Our id for the message (in its `Received:` header).
        sender (str): Envelope sender; empty for the null reverse-path.
        size (int):
        uid (int):
        score (float | None | Unset): The inbound sender-check score, for mail that was checked.
    """

    account: str
    authenticated: bool
    client_ip: str
    mailbox: str
    message_id: str
    sender: str
    size: int
    uid: int
    score: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account = self.account

        authenticated = self.authenticated

        client_ip = self.client_ip

        mailbox = self.mailbox

        message_id = self.message_id

        sender = self.sender

        size = self.size

        uid = self.uid

        score: float | None | Unset
        if isinstance(self.score, Unset):
            score = UNSET
        else:
            score = self.score

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account": account,
                "authenticated": authenticated,
                "client_ip": client_ip,
                "mailbox": mailbox,
                "message_id": message_id,
                "sender": sender,
                "size": size,
                "uid": uid,
            }
        )
        if score is not UNSET:
            field_dict["score"] = score

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account = d.pop("account")

        authenticated = d.pop("authenticated")

        client_ip = d.pop("client_ip")

        mailbox = d.pop("mailbox")

        message_id = d.pop("message_id")

        sender = d.pop("sender")

        size = d.pop("size")

        uid = d.pop("uid")

        def _parse_score(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        score = _parse_score(d.pop("score", UNSET))

        message_received = cls(
            account=account,
            authenticated=authenticated,
            client_ip=client_ip,
            mailbox=mailbox,
            message_id=message_id,
            sender=sender,
            size=size,
            uid=uid,
            score=score,
        )

        message_received.additional_properties = d
        return message_received

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
