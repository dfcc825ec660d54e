from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.event_type import EventType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.paginated_event_dto_items_item_data import PaginatedEventDtoItemsItemData


T = TypeVar("T", bound="PaginatedEventDtoItemsItem")


@_attrs_define
class PaginatedEventDtoItemsItem:
    """
    Attributes:
        data (PaginatedEventDtoItemsItemData): Type-specific details.
        id (int): Position in the log; strictly increasing.
        timestamp (datetime.datetime):
        type_ (EventType): Every event type of CONTRACT.md.
        account (None | str | Unset):
        domain (None | str | Unset):
    """

    data: PaginatedEventDtoItemsItemData
    id: int
    timestamp: datetime.datetime
    type_: EventType
    account: None | str | Unset = UNSET
    domain: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data.to_dict()

        id = self.id

        timestamp = self.timestamp.isoformat()

        type_ = self.type_.value

        account: None | str | Unset
        if isinstance(self.account, Unset):
            account = UNSET
        else:
            account = self.account

        domain: None | str | Unset
        if isinstance(self.domain, Unset):
            domain = UNSET
        else:
            domain = self.domain

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "id": id,
                "timestamp": timestamp,
                "type": type_,
            }
        )
        if account is not UNSET:
            field_dict["account"] = account
        if domain is not UNSET:
            field_dict["domain"] = domain

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.paginated_event_dto_items_item_data import PaginatedEventDtoItemsItemData  # noqa: PLC0415

        d = dict(src_dict)
        data = PaginatedEventDtoItemsItemData.from_dict(d.pop("data"))

        id = d.pop("id")

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        type_ = EventType(d.pop("type"))

        def _parse_account(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        account = _parse_account(d.pop("account", UNSET))

        def _parse_domain(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        domain = _parse_domain(d.pop("domain", UNSET))

        paginated_event_dto_items_item = cls(
            data=data,
            id=id,
            timestamp=timestamp,
            type_=type_,
            account=account,
            domain=domain,
        )

        paginated_event_dto_items_item.additional_properties = d
        return paginated_event_dto_items_item

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
