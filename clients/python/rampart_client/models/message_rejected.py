from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="MessageRejected")


@_attrs_define
class MessageRejected:
    """`message.rejected`

    Attributes:
        authenticated (bool):
        client_ip (str):
        listener (str): `smtp`, `submission` or `submissions`.
        reason (str): Machine-readable: `relay_denied`, `relay_trick`, `unknown_recipient`,
            `local_sender_unauthenticated`, `ip_shield`, `sender_mismatch`,
            `from_mismatch`, `message_too_big`, `bare_line_ending`, `line_too_long`,
            `sender_checks` (inbound SPF/DKIM/DMARC/PTR score or policy).
        stage (str): `mail`, `rcpt` or `data`.
        address (None | str | Unset): The address concerned, if any.
        score (float | None | Unset): The inbound sender-check score, for refusals by those checks.
    """

    authenticated: bool
    client_ip: str
    listener: str
    reason: str
    stage: str
    address: None | str | Unset = UNSET
    score: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        authenticated = self.authenticated

        client_ip = self.client_ip

        listener = self.listener

        reason = self.reason

        stage = self.stage

        address: None | str | Unset
        if isinstance(self.address, Unset):
            address = UNSET
        else:
            address = self.address

        score: float | None | Unset
        if isinstance(self.score, Unset):
            score = UNSET
        else:
            score = self.score

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "authenticated": authenticated,
                "client_ip": client_ip,
                "listener": listener,
                "reason": reason,
                "stage": stage,
            }
        )
        if address is not UNSET:
            field_dict["address"] = address
        if score is not UNSET:
            field_dict["score"] = score

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        authenticated = d.pop("authenticated")

        client_ip = d.pop("client_ip")

        listener = d.pop("listener")

        reason = d.pop("reason")

        stage = d.pop("stage")

        def _parse_address(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        address = _parse_address(d.pop("address", UNSET))

        def _parse_score(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        score = _parse_score(d.pop("score", UNSET))

        message_rejected = cls(
            authenticated=authenticated,
            client_ip=client_ip,
            listener=listener,
            reason=reason,
            stage=stage,
            address=address,
            score=score,
        )

        message_rejected.additional_properties = d
        return message_rejected

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
