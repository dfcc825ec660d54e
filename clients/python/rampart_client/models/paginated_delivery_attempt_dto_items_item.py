from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PaginatedDeliveryAttemptDtoItemsItem")


@_attrs_define
class PaginatedDeliveryAttemptDtoItemsItem:
    """One delivery attempt.

    Attributes:
        at (datetime.datetime):
        delivery_id (int):
        delivery_status (str): The delivery's state now: `pending`, `succeeded` or `failed`.
        duration_ms (int):
        event_type (str):
        id (int):
        message_id (str): The `webhook-id` header, the same on every retry.
        error (None | str | Unset):
        status_code (int | None | Unset): HTTP status, or `null` when no answer came (timeout, refused, ...).
    """

    at: datetime.datetime
    delivery_id: int
    delivery_status: str
    duration_ms: int
    event_type: str
    id: int
    message_id: str
    error: None | str | Unset = UNSET
    status_code: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        delivery_id = self.delivery_id

        delivery_status = self.delivery_status

        duration_ms = self.duration_ms

        event_type = self.event_type

        id = self.id

        message_id = self.message_id

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        status_code: int | None | Unset
        if isinstance(self.status_code, Unset):
            status_code = UNSET
        else:
            status_code = self.status_code

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "delivery_id": delivery_id,
                "delivery_status": delivery_status,
                "duration_ms": duration_ms,
                "event_type": event_type,
                "id": id,
                "message_id": message_id,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error
        if status_code is not UNSET:
            field_dict["status_code"] = status_code

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        delivery_id = d.pop("delivery_id")

        delivery_status = d.pop("delivery_status")

        duration_ms = d.pop("duration_ms")

        event_type = d.pop("event_type")

        id = d.pop("id")

        message_id = d.pop("message_id")

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_status_code(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        status_code = _parse_status_code(d.pop("status_code", UNSET))

        paginated_delivery_attempt_dto_items_item = cls(
            at=at,
            delivery_id=delivery_id,
            delivery_status=delivery_status,
            duration_ms=duration_ms,
            event_type=event_type,
            id=id,
            message_id=message_id,
            error=error,
            status_code=status_code,
        )

        paginated_delivery_attempt_dto_items_item.additional_properties = d
        return paginated_delivery_attempt_dto_items_item

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
