import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.paginated_auth_failure_dto import PaginatedAuthFailureDto
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    account: str | Unset = UNSET,
    ip: str | Unset = UNSET,
    protocol: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["account"] = account

    params["ip"] = ip

    params["protocol"] = protocol

    json_since: str | Unset = UNSET
    if not isinstance(since, Unset):
        json_since = since.isoformat()
    params["since"] = json_since

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/auth-failures",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PaginatedAuthFailureDto | Problem | None:
    if response.status_code == 200:
        response_200 = PaginatedAuthFailureDto.from_dict(response.json())

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
) -> Response[PaginatedAuthFailureDto | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    account: str | Unset = UNSET,
    ip: str | Unset = UNSET,
    protocol: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> Response[PaginatedAuthFailureDto | Problem]:
    """Failed logins, newest first.

    Args:
        account (str | Unset):
        ip (str | Unset):
        protocol (str | Unset):
        since (datetime.datetime | Unset):
        limit (int | Unset):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaginatedAuthFailureDto | Problem]
    """

    kwargs = _get_kwargs(
        account=account,
        ip=ip,
        protocol=protocol,
        since=since,
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
    account: str | Unset = UNSET,
    ip: str | Unset = UNSET,
    protocol: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> PaginatedAuthFailureDto | Problem | None:
    """Failed logins, newest first.

    Args:
        account (str | Unset):
        ip (str | Unset):
        protocol (str | Unset):
        since (datetime.datetime | Unset):
        limit (int | Unset):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaginatedAuthFailureDto | Problem
    """

    return sync_detailed(
        client=client,
        account=account,
        ip=ip,
        protocol=protocol,
        since=since,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    account: str | Unset = UNSET,
    ip: str | Unset = UNSET,
    protocol: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> Response[PaginatedAuthFailureDto | Problem]:
    """Failed logins, newest first.

    Args:
        account (str | Unset):
        ip (str | Unset):
        protocol (str | Unset):
        since (datetime.datetime | Unset):
        limit (int | Unset):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaginatedAuthFailureDto | Problem]
    """

    kwargs = _get_kwargs(
        account=account,
        ip=ip,
        protocol=protocol,
        since=since,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    account: str | Unset = UNSET,
    ip: str | Unset = UNSET,
    protocol: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> PaginatedAuthFailureDto | Problem | None:
    """Failed logins, newest first.

    Args:
        account (str | Unset):
        ip (str | Unset):
        protocol (str | Unset):
        since (datetime.datetime | Unset):
        limit (int | Unset):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaginatedAuthFailureDto | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            account=account,
            ip=ip,
            protocol=protocol,
            since=since,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
