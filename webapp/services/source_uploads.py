"""Supplier CSV uploads: store the file in the database, propose a column mapping, start the import.

The file is kept in ``source_uploads.content`` (not on the web server's disk) because the worker that
imports it may run on another machine. Its bytes are dropped once the import succeeds, or after
``RETENTION`` (so a failed import can be started again meanwhile); the row stays as history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import IntegrationRun, RunKind, Source, SourceUpload
from webapp.models.run import ACTIVE_STATUSES
from webapp.services.csv_import.columns import auto_mapping, mapping_problems
from webapp.services.csv_import.formats import CsvFormat, UnreadableFile, detect_format, iter_records
from webapp.services.runs import StartResult, start_run
from webapp.timeutil import utcnow

RETENTION = timedelta(days=7)
SAMPLE_ROWS = 3


@dataclass(frozen=True)
class Preview:
    """The header row and the first few data rows of a file (for the mapping step)."""

    headers: list[str]
    samples: list[list[str]]


def read_preview(content: bytes, encoding: str, delimiter: str) -> Preview:
    """Header and up to ``SAMPLE_ROWS`` non-blank rows.

    Raises:
        UnreadableFile: no header row, or no row below it.
    """
    headers: list[str] | None = None
    samples: list[list[str]] = []
    for record in iter_records(content, CsvFormat(encoding, delimiter)):
        if record.cells is None or not any(cell.strip() for cell in record.cells):
            if headers is None and record.error:
                raise UnreadableFile(f"The header row could not be read: {record.error}.")
            continue
        if headers is None:
            headers = [cell.strip() for cell in record.cells]
            continue
        samples.append(record.cells)
        if len(samples) == SAMPLE_ROWS:
            break
    if headers is None:
        raise UnreadableFile("The file is empty.")
    if not samples:
        raise UnreadableFile("The file has a header row but no items below it.")
    return Preview(headers, samples)


def store_upload(account_id: int, source: Source, filename: str, content: bytes) -> SourceUpload:
    """Save an uploaded CSV with its detected format and proposed mapping; commits.

    Raises:
        UnreadableFile: the file is empty, binary, or has no data rows (nothing is saved).
    """
    fmt = detect_format(content)
    preview = read_preview(content, fmt.encoding, fmt.delimiter)
    upload = SourceUpload(
        account_id=account_id,
        source_id=source.id,
        filename=(filename or "upload.csv")[:255],
        size=len(content),
        content=content,
        encoding=fmt.encoding,
        delimiter=fmt.delimiter,
        headers=preview.headers,
        mapping=auto_mapping(preview.headers),
    )
    db.session.add(upload)
    purge_expired_uploads()
    db.session.commit()
    return upload


def preview_of(upload: SourceUpload) -> Preview:
    """The stored file's header and sample rows."""
    return read_preview(upload.content or b"", upload.encoding, upload.delimiter)


def save_mapping(upload: SourceUpload, mapping: list[str]) -> list[str]:
    """Store the seller's column mapping; returns its problems (nothing is saved when there are any)."""
    problems = mapping_problems(mapping)
    if not problems:
        upload.mapping = mapping
        db.session.commit()
    return problems


def can_start(upload: SourceUpload) -> bool:
    """The file is still stored, mapped, and not being imported right now."""
    if upload.content_deleted_at is not None or mapping_problems(upload.mapping):
        return False
    return upload.run is None or upload.run.finished


def start_import(upload: SourceUpload, user_id: int | None) -> StartResult:
    """Start (or restart) the import of ``upload``; one import runs per source at a time.

    Returns:
        The new run, or the source's import already in progress (``already_running``); the upload is
        then left ready to start later.
    """
    result = start_run(
        upload.account_id,
        RunKind.IMPORT_SOURCE_ITEMS,
        params={"upload_id": upload.id, "source_id": upload.source_id},
        user_id=user_id,
        subject=f"source:{upload.source_id}",
    )
    if not result.already_running:
        upload.run_id = result.run.id
        db.session.commit()
    return result


def release_content(upload_id: int) -> None:
    """Drop an upload's file (the import no longer needs it); the caller commits."""
    db.session.execute(
        sa.update(SourceUpload)
        .where(SourceUpload.id == upload_id, SourceUpload.content_deleted_at.is_(None))
        .values(content=None, content_deleted_at=utcnow()),
        execution_options={"synchronize_session": False},
    )


def purge_expired_uploads() -> int:
    """Drop the files of uploads older than ``RETENTION`` (all accounts); the caller commits.

    The housekeeping job (``jobs.housekeeping``) runs it, so files expire even when nobody uploads; each
    upload also runs it in passing (one indexed UPDATE).
    """
    return db.session.execute(
        sa.update(SourceUpload)
        .where(SourceUpload.created_at < utcnow() - RETENTION, SourceUpload.content_deleted_at.is_(None))
        .values(content=None, content_deleted_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount


def recent_uploads(source: Source, limit: int = 10) -> list[SourceUpload]:
    """The source's latest uploads, newest first."""
    return list(
        db.session.scalars(
            sa.select(SourceUpload)
            .where(SourceUpload.source_id == source.id, SourceUpload.account_id == source.account_id)
            .order_by(SourceUpload.created_at.desc(), SourceUpload.id.desc())
            .limit(limit)
        )
    )


def import_in_progress(source: Source) -> IntegrationRun | None:
    """The queued or running import into ``source``, if any."""
    return db.session.scalar(
        sa.select(IntegrationRun)
        .join(SourceUpload, SourceUpload.run_id == IntegrationRun.id)
        .where(SourceUpload.source_id == source.id, IntegrationRun.status.in_(ACTIVE_STATUSES))
        .limit(1)
    )
