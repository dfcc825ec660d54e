from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateDkimKeyRequest")


@_attrs_define
class CreateDkimKeyRequest:
    """
    Attributes:
        algorithm (None | str | Unset): `ed25519` or `rsa-2048` (default; the one every receiver verifies). Example:
            rsa-2048.
        selector (None | str | Unset): DNS label; default `r<YYYYMMDD>`.
    """

    algorithm: None | str | Unset = UNSET
    selector: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        algorithm: None | str | Unset
        if isinstance(self.algorithm, Unset):
            algorithm = UNSET
        else:
            algorithm = self.algorithm

        selector: None | str | Unset
        if isinstance(self.selector, Unset):
            selector = UNSET
        else:
            selector = self.selector

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if algorithm is not UNSET:
            field_dict["algorithm"] = algorithm
        if selector is not UNSET:
            field_dict["selector"] = selector

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_algorithm(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        algorithm = _parse_algorithm(d.pop("algorithm", UNSET))

        def _parse_selector(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        selector = _parse_selector(d.pop("selector", UNSET))

        create_dkim_key_request = cls(
            algorithm=algorithm,
            selector=selector,
        )

        return create_dkim_key_request
