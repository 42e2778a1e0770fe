"""Reading an upload with a size limit that holds while the body streams in.

A declared ``Content-Length`` over the limit is refused before a byte is read; a body
without one (chunked) is counted as it arrives and refused as soon as it passes the
limit, so a partner cannot fill the server's disk or memory with one request.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

DEFAULT_MAX_BYTES = 50 * 2**20
#: Room for the multipart envelope and the small fields beside the file.
ENVELOPE = 64 * 2**10


class TooLarge(Exception):
    """The upload is over the limit (``limit`` bytes)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"over the limit of {limit} bytes")
        self.limit = limit


def max_bytes(request: Request) -> int:
    return int(getattr(request.app.state, "max_upload_bytes", DEFAULT_MAX_BYTES))


async def limited_form(request: Request) -> FormData:
    """The multipart form, refused with :class:`TooLarge` past the limit."""
    limit = max_bytes(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + ENVELOPE:
        raise TooLarge(limit)
    received = 0
    receive = request.receive

    async def counting():
        nonlocal received
        message = await receive()
        if message.get("type") == "http.request":
            received += len(message.get("body", b""))
            if received > limit + ENVELOPE:
                raise TooLarge(limit)
        return message

    form = await Request(request.scope, counting).form(max_files=2, max_fields=50)
    for value in form.values():
        if isinstance(value, UploadFile) and (value.size or 0) > limit:
            raise TooLarge(limit)
    return form


def describe_limit(limit: int) -> str:
    mb = limit / 2**20
    return f"{mb:.0f} MB" if mb >= 1 else f"{limit / 2**10:.0f} KB"
