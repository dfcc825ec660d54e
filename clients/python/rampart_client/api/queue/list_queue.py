from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.paginated_queue_entry_dto import PaginatedQueueEntryDto
from ...models.problem import Problem
from ...models.queue_status import QueueStatus
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    status: QueueStatus | Unset = UNSET,
    state: QueueStatus | Unset = UNSET,
    domain: str | Unset = UNSET,
    sender: str | Unset = UNSET,
    recipient: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    json_state: str | Unset = UNSET
    if not isinstance(state, Unset):
        json_state = state.value

    params["state"] = json_state

    params["domain"] = domain

    params["sender"] = sender

    params["recipient"] = recipient

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/queue",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PaginatedQueueEntryDto | Problem | None:
    if response.status_code == 200:
        response_200 = PaginatedQueueEntryDto.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PaginatedQueueEntryDto | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    status: QueueStatus | Unset = UNSET,
    state: QueueStatus | Unset = UNSET,
    domain: str | Unset = UNSET,
    sender: str | Unset = UNSET,
    recipient: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> Response[PaginatedQueueEntryDto | Problem]:
    """The outbound queue, newest first: what is waiting, or with `status`
    one state, history included (kept `[outbound] history_days`).

    Args:
        status (QueueStatus | Unset): A queue entry's state.
        state (QueueStatus | Unset): A queue entry's state.
        domain (str | Unset):
        sender (str | Unset):
        recipient (str | Unset):
        limit (int | Unset):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaginatedQueueEntryDto | Problem]
    """

    kwargs = _get_kwargs(
        status=status,
        state=state,
        domain=domain,
        sender=sender,
        recipient=recipient,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    status: QueueStatus | Unset = UNSET,
    state: QueueStatus | Unset = UNSET,
    domain: str | Unset = UNSET,
    sender: str | Unset = UNSET,
    recipient: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> PaginatedQueueEntryDto | Problem | None:
    """The outbound queue, newest first: what is waiting, or with `status`
    one state, history included (kept `[outbound] history_days`).

    Args:
        status (QueueStatus | Unset): A queue entry's state.
        state (QueueStatus | Unset): A queue entry's state.
        domain (str | Unset):
        sender (str | Unset):
        recipient (str | Unset):
        limit (int | Unset):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaginatedQueueEntryDto | Problem
    """

    return sync_detailed(
        client=client,
        status=status,
        state=state,
        domain=domain,
        sender=sender,
        recipient=recipient,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    status: QueueStatus | Unset = UNSET,
    state: QueueStatus | Unset = UNSET,
    domain: str | Unset = UNSET,
    sender: str | Unset = UNSET,
    recipient: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> Response[PaginatedQueueEntryDto | Problem]:
    """The outbound queue, newest first: what is waiting, or with `status`
    one state, history included (kept `[outbound] history_days`).

    Args:
        status (QueueStatus | Unset): A queue entry's state.
        state (QueueStatus | Unset): A queue entry's state.
        domain (str | Unset):
        sender (str | Unset):
        recipient (str | Unset):
        limit (int | Unset):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaginatedQueueEntryDto | Problem]
    """

    kwargs = _get_kwargs(
        status=status,
        state=state,
        domain=domain,
        sender=sender,
        recipient=recipient,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    status: QueueStatus | Unset = UNSET,
    state: QueueStatus | Unset = UNSET,
    domain: str | Unset = UNSET,
    sender: str | Unset = UNSET,
    recipient: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> PaginatedQueueEntryDto | Problem | None:
    """The outbound queue, newest first: what is waiting, or with `status`
    one state, history included (kept `[outbound] history_days`).

    Args:
        status (QueueStatus | Unset): A queue entry's state.
        state (QueueStatus | Unset): A queue entry's state.
        domain (str | Unset):
        sender (str | Unset):
        recipient (str | Unset):
        limit (int | Unset):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaginatedQueueEntryDto | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            status=status,
            state=state,
            domain=domain,
            sender=sender,
            recipient=recipient,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
