from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.account_dto import AccountDto
from ...models.problem import Problem
from ...models.update_account_request import UpdateAccountRequest
from ...types import Response


def _get_kwargs(
    address: str,
    *,
    body: UpdateAccountRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/v1/accounts/{address}".format(
            address=quote(str(address), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> AccountDto | Problem | None:
    if response.status_code == 200:
        response_200 = AccountDto.from_dict(response.json())

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

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[AccountDto | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    address: str,
    *,
    client: AuthenticatedClient,
    body: UpdateAccountRequest,
) -> Response[AccountDto | Problem]:
    """Change an account. A user may change its own password and display name.

    Args:
        address (str):
        body (UpdateAccountRequest): Fields to change; absent fields stay as they are, `null`
            clears.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AccountDto | Problem]
    """

    kwargs = _get_kwargs(
        address=address,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    address: str,
    *,
    client: AuthenticatedClient,
    body: UpdateAccountRequest,
) -> AccountDto | Problem | None:
    """Change an account. A user may change its own password and display name.

    Args:
        address (str):
        body (UpdateAccountRequest): Fields to change; absent fields stay as they are, `null`
            clears.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AccountDto | Problem
    """

    return sync_detailed(
        address=address,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    address: str,
    *,
    client: AuthenticatedClient,
    body: UpdateAccountRequest,
) -> Response[AccountDto | Problem]:
    """Change an account. A user may change its own password and display name.

    Args:
        address (str):
        body (UpdateAccountRequest): Fields to change; absent fields stay as they are, `null`
            clears.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AccountDto | Problem]
    """

    kwargs = _get_kwargs(
        address=address,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    address: str,
    *,
    client: AuthenticatedClient,
    body: UpdateAccountRequest,
) -> AccountDto | Problem | None:
    """Change an account. A user may change its own password and display name.

    Args:
        address (str):
        body (UpdateAccountRequest): Fields to change; absent fields stay as they are, `null`
            clears.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AccountDto | Problem
    """

    return (
        await asyncio_detailed(
            address=address,
            client=client,
            body=body,
        )
    ).parsed
