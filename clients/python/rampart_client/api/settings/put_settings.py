from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.inbound_screening import InboundScreening
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: InboundScreening,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/settings/inbound-screening",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> InboundScreening | Problem | None:
    if response.status_code == 200:
        response_200 = InboundScreening.from_dict(response.json())

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
) -> Response[InboundScreening | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: InboundScreening,
) -> Response[InboundScreening | Problem]:
    """Replace the inbound sender-check settings. Missing fields take their
    defaults.

    Args:
        body (InboundScreening): `/v1/settings/inbound-screening`: what each finding weighs and
            what a
            score leads to. Applies to sessions that are neither authenticated nor
            from a trusted network.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InboundScreening | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: InboundScreening,
) -> InboundScreening | Problem | None:
    """Replace the inbound sender-check settings. Missing fields take their
    defaults.

    Args:
        body (InboundScreening): `/v1/settings/inbound-screening`: what each finding weighs and
            what a
            score leads to. Applies to sessions that are neither authenticated nor
            from a trusted network.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InboundScreening | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: InboundScreening,
) -> Response[InboundScreening | Problem]:
    """Replace the inbound sender-check settings. Missing fields take their
    defaults.

    Args:
        body (InboundScreening): `/v1/settings/inbound-screening`: what each finding weighs and
            what a
            score leads to. Applies to sessions that are neither authenticated nor
            from a trusted network.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InboundScreening | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: InboundScreening,
) -> InboundScreening | Problem | None:
    """Replace the inbound sender-check settings. Missing fields take their
    defaults.

    Args:
        body (InboundScreening): `/v1/settings/inbound-screening`: what each finding weighs and
            what a
            score leads to. Applies to sessions that are neither authenticated nor
            from a trusted network.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InboundScreening | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
