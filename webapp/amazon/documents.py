"""Feed uploads and report / feed-result downloads through Amazon's presigned document URLs.

These URLs are plain HTTPS (S3) without SP-API headers, so they are handled here with the shared httpx
client rather than by python-amazon-sp-api, whose helpers encode a ``str`` feed as ISO-8859-1, read a
whole report into memory, and decode a charset-less report as ISO-8859-1.

Reports are streamed line by line: gunzipped on the fly when the bytes are gzip (checked by the magic
number, whatever ``compressionAlgorithm`` or ``Content-Encoding`` say), decoded with the charset of the
download's ``Content-Type``, and without one, per line as UTF-8, then Windows-1252, then Latin-1.
"""

from __future__ import annotations

import codecs
import logging
import time
import zlib
from collections.abc import Iterator

import httpx

from webapp.amazon.errors import AmazonError, AmazonUnavailable
from webapp.amazon.retry import RETRY_STATUSES, failure_delay
from webapp.amazon.settings import AmazonSettings
from webapp.amazon.transport import http_client, notify

log = logging.getLogger(__name__)

_GZIP_MAGIC = b"\x1f\x8b"
# Java / IANA names Amazon uses that Python's codec registry does not know.
_CHARSET_ALIASES = {"windows-31j": "cp932", "x-sjis": "shift_jis", "x-windows-949": "cp949"}
_FALLBACK_CHARSETS = ("utf-8", "cp1252")


def upload(settings: AmazonSettings, url: str, data: bytes, content_type: str) -> None:
    """PUT a feed document to its presigned URL, retrying dropped connections and 5xx.

    Raises:
        AmazonUnavailable: still failing after ``settings.max_retries`` retries.
        AmazonError: Amazon refused the upload (e.g. the URL expired).
    """
    attempt = 0
    while True:
        try:
            response = http_client(settings.http_timeout).put(
                url, content=data, headers={"Content-Type": content_type}
            )
        except httpx.TransportError as exc:
            status, reason = None, f"connection failed ({type(exc).__name__})"
        else:
            notify(response)
            if response.is_success:
                return
            status, reason = response.status_code, f"HTTP {response.status_code}"
            if status not in RETRY_STATUSES:
                raise AmazonError("UploadFailed", f"Amazon refused the feed upload: {reason}.", status=status)
        attempt += 1
        if attempt > settings.max_retries:
            raise AmazonUnavailable("ConnectionError", f"Uploading the feed failed: {reason}.", status=status)
        time.sleep(failure_delay(settings, attempt))


def read_text(settings: AmazonSettings, url: str) -> str:
    """Download a (small) document, e.g. a feed processing report, gunzipped and decoded."""
    return "\n".join(iter_lines(settings, url))


def iter_lines(settings: AmazonSettings, url: str) -> Iterator[str]:
    """Stream a document as decoded lines (without line endings).

    Connection problems are retried until the first byte arrives; a failure after that raises
    ``AmazonUnavailable``, since lines were already handed out.
    """
    attempt = 0
    started = False
    while True:
        try:
            with http_client(settings.http_timeout).stream("GET", url) as response:
                notify(response, streamed=True)
                if response.status_code in RETRY_STATUSES:
                    reason = f"HTTP {response.status_code}"
                elif not response.is_success:
                    raise AmazonError(
                        "DownloadFailed",
                        f"Amazon refused the document download (HTTP {response.status_code}).",
                        status=response.status_code,
                    )
                else:
                    started = True
                    yield from _decode_lines(_bytes(response), _charset(response))
                    return
        except httpx.TransportError as exc:
            if started:
                raise AmazonUnavailable("ConnectionError", "The document download was interrupted.") from exc
            reason = f"connection failed ({type(exc).__name__})"
        attempt += 1
        if attempt > settings.max_retries:
            raise AmazonUnavailable("ConnectionError", f"Downloading the document failed: {reason}.")
        time.sleep(failure_delay(settings, attempt))


def _bytes(response: httpx.Response) -> Iterator[bytes]:
    """The body, gunzipped when it starts with the gzip magic number."""
    chunks = response.iter_bytes()
    first = b""
    for chunk in chunks:
        first += chunk
        if len(first) >= 2:
            break
    if not first.startswith(_GZIP_MAGIC):
        yield first
        yield from chunks
        return
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    yield inflater.decompress(first)
    for chunk in chunks:
        yield inflater.decompress(chunk)
    yield inflater.flush()


def _charset(response: httpx.Response) -> str | None:
    """The usable codec named by the response's Content-Type, or None."""
    name = response.charset_encoding
    if not name:
        return None
    name = _CHARSET_ALIASES.get(name.lower(), name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        log.warning("unknown document charset %r, guessing per line", name)
        return None


def _decode(line: bytes, charset: str | None) -> str:
    if charset:
        return line.decode(charset, errors="replace")
    for candidate in _FALLBACK_CHARSETS:
        try:
            return line.decode(candidate)
        except UnicodeDecodeError:
            continue
    return line.decode("latin-1")


def _decode_lines(chunks: Iterator[bytes], charset: str | None) -> Iterator[str]:
    """Split on LF (safe for UTF-8, single-byte charsets and Shift_JIS) and decode each line."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield _decode(line.rstrip(b"\r"), charset)
    if pending:
        yield _decode(pending.rstrip(b"\r"), charset)
