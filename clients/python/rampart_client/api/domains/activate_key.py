from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.dkim_key_dto import DkimKeyDto
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    name: str,
    selector: str,
    *,
    force: bool | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["force"] = force

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/domains/{name}/dkim-keys/{selector}/activate".format(
            name=quote(str(name), safe=""),
            selector=quote(str(selector), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> DkimKeyDto | Problem | None:
    if response.status_code == 200:
        response_200 = DkimKeyDto.from_dict(response.json())

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

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[DkimKeyDto | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    name: str,
    selector: str,
    *,
    client: AuthenticatedClient,
    force: bool | Unset = UNSET,
) -> Response[DkimKeyDto | Problem]:
    """Rotation: make this key the signing key once its TXT record is
    published (checked through the configured resolver; 409 when it is not,
    unless `force=true`). The previous key stops signing and stays listed,
    to be deleted once mail signed with it has been delivered. The periodic
    DNS check does the same by itself for a key newer than the signing one.

    Args:
        name (str):
        selector (str):
        force (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DkimKeyDto | Problem]
    """

    kwargs = _get_kwargs(
        name=name,
        selector=selector,
        force=force,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    name: str,
    selector: str,
    *,
    client: AuthenticatedClient,
    force: bool | Unset = UNSET,
) -> DkimKeyDto | Problem | None:
    """Rotation: make this key the signing key once its TXT record is
    published (checked through the configured resolver; 409 when it is not,
    unless `force=true`). The previous key stops signing and stays listed,
    to be deleted once mail signed with it has been delivered. The periodic
    DNS check does the same by itself for a key newer than the signing one.

    Args:
        name (str):
        selector (str):
        force (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DkimKeyDto | Problem
    """

    return sync_detailed(
        name=name,
        selector=selector,
        client=client,
        force=force,
    ).parsed


async def asyncio_detailed(
    name: str,
    selector: str,
    *,
    client: AuthenticatedClient,
    force: bool | Unset = UNSET,
) -> Response[DkimKeyDto | Problem]:
    """Rotation: make this key the signing key once its TXT record is
    published (checked through the configured resolver; 409 when it is not,
    unless `force=true`). The previous key stops signing and stays listed,
    to be deleted once mail signed with it has been delivered. The periodic
    DNS check does the same by itself for a key newer than the signing one.

    Args:
        name (str):
        selector (str):
        force (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DkimKeyDto | Problem]
    """

    kwargs = _get_kwargs(
        name=name,
        selector=selector,
        force=force,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    name: str,
    selector: str,
    *,
    client: AuthenticatedClient,
    force: bool | Unset = UNSET,
) -> DkimKeyDto | Problem | None:
    """Rotation: make this key the signing key once its TXT record is
    published (checked through the configured resolver; 409 when it is not,
    unless `force=true`). The previous key stops signing and stays listed,
    to be deleted once mail signed with it has been delivered. The periodic
    DNS check does the same by itself for a key newer than the signing one.

    Args:
        name (str):
        selector (str):
        force (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DkimKeyDto | Problem
    """

    return (
        await asyncio_detailed(
            name=name,
            selector=selector,
            client=client,
            force=force,
        )
    ).parsed
