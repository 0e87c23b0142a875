"""HTTP plumbing shared by every Amazon call: one pooled httpx client per process, and exchange observers.

python-amazon-sp-api builds a new ``httpx.Client`` (and SSL context) for every API object; the adapter
hands it this shared one instead, so connections are reused. RQ forks a work horse per job, and a
pool must not cross a fork, hence one client per process id.

Observers see every finished exchange with Amazon (SP-API, LWA, document up/downloads) as
``Exchange`` records: the tests use them to check requests and responses against Amazon's models,
and they log request ids for support cases.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)

_lock = threading.Lock()
_clients: dict[tuple[int, float], httpx.Client] = {}
_observers: list[Callable[[Exchange], None]] = []


@dataclass(frozen=True)
class Exchange:
    """One request to Amazon and its answer (bodies as bytes; streamed downloads have an empty body)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes


def http_client(timeout: float) -> httpx.Client:
    """The process's pooled httpx client for this timeout."""
    key = (os.getpid(), timeout)
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = httpx.Client(timeout=timeout)
                _clients[key] = client
    return client


def notify(response: httpx.Response, *, streamed: bool = False) -> None:
    """Report a finished exchange to the observers (cheap when there are none)."""
    log.debug(
        "amazon %s %s -> %s (request id %s)",
        response.request.method,
        response.request.url.path,
        response.status_code,
        response.headers.get("x-amzn-RequestId", "-"),
    )
    if not _observers:
        return
    request = response.request
    try:
        request_body = request.content
    except httpx.RequestNotRead:
        request_body = b""
    exchange = Exchange(
        method=request.method,
        url=str(request.url),
        request_headers=dict(request.headers),
        request_body=request_body,
        status=response.status_code,
        response_headers=dict(response.headers),
        response_body=b"" if streamed else response.content,
    )
    for observer in list(_observers):
        observer(exchange)


@contextmanager
def recording() -> Iterator[list[Exchange]]:
    """Collect every exchange with Amazon made in this process while the block runs."""
    exchanges: list[Exchange] = []
    with _lock:
        _observers.append(exchanges.append)
    try:
        yield exchanges
    finally:
        with _lock:
            _observers.remove(exchanges.append)
