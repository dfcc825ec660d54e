from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="RelaySettings")


@_attrs_define
class RelaySettings:
    """`/v1/settings/relay`.

    Attributes:
        require_auth_for_local_senders (bool): Refuse unauthenticated sessions whose MAIL FROM claims a local domain.
        sender_must_match_auth (bool): Authenticated senders may use only their own address or aliases, as
            envelope sender and in `From:`.
        trusted_networks (list[str]): Networks (CIDR or single addresses) allowed to relay without AUTH. Example:
            ['192.0.2.0/24'].
    """

    require_auth_for_local_senders: bool
    sender_must_match_auth: bool
    trusted_networks: list[str]

    def to_dict(self) -> dict[str, Any]:
        require_auth_for_local_senders = self.require_auth_for_local_senders

        sender_must_match_auth = self.sender_must_match_auth

        trusted_networks = self.trusted_networks

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "require_auth_for_local_senders": require_auth_for_local_senders,
                "sender_must_match_auth": sender_must_match_auth,
                "trusted_networks": trusted_networks,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        require_auth_for_local_senders = d.pop("require_auth_for_local_senders")

        sender_must_match_auth = d.pop("sender_must_match_auth")

        trusted_networks = cast(list[str], d.pop("trusted_networks"))

        relay_settings = cls(
            require_auth_for_local_senders=require_auth_for_local_senders,
            sender_must_match_auth=sender_must_match_auth,
            trusted_networks=trusted_networks,
        )

        return relay_settings
