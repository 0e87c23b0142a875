"""Reports API 2021-06-30: createReport, getReport, getReports, cancelReport, getReportDocument.

Supports the listings reports (`GET_MERCHANT_LISTINGS_ALL_DATA`, `..._DATA`, `..._INACTIVE_DATA`).
A report moves IN_QUEUE -> IN_PROGRESS -> DONE by Amazon time, computed on every read from its
`created_at` (no background work): `queue_seconds` in the queue, then `processing_seconds` in progress.
The document is built the first time a read finds the report finished and is served from a presigned
URL on the sandbox (see sandbox.documents). A report with no rows ends CANCELLED, as on Amazon.

Test variants are "report options", set like faults and snapshotted on each report at createReport:
`PUT /_sandbox/report-options {...}` or `python -m sandbox report-options ...` (see REPORT_OPTIONS).
The stuck flag (option `stuck`, or the `createReport` stuck fault) is read on every getReport, so
clearing it lets a stuck report finish.
"""

from __future__ import annotations

import codecs
import gzip
import json
import sqlite3
from typing import Any

import click
from flask import Blueprint, Response, jsonify, request

from sandbox import listings_report, processing
from sandbox.admin import bp as admin_bp
from sandbox.cli import cli, db_option
from sandbox.clock import iso, parse_iso
from sandbox.db import Store, register_schema
from sandbox.documents import (
    REPORT_DOCUMENT,
    create_document,
    document_link,
    new_document_id,
    seller_region,
    serve_document,
)
from sandbox.errors import ApiError
from sandbox.faults import is_stuck
from sandbox.operations import OperationContext, operation
from sandbox.paging import list_page, list_request
from sandbox.state import current

MODEL = "reports_2021-06-30"

register_schema(
    """
CREATE TABLE IF NOT EXISTS reports (
    report_id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, report_type TEXT NOT NULL,
    marketplace_ids TEXT NOT NULL, created_at REAL NOT NULL, data_start REAL NOT NULL, data_end REAL NOT NULL,
    options TEXT NOT NULL,
    cancelled_at REAL, final_status TEXT, document_id TEXT
);
CREATE INDEX IF NOT EXISTS reports_seller ON reports (seller_id, created_at)
""",
    data_tables=("reports",),
)

bp = Blueprint("report_documents", __name__)

OPTIONS_KEY = "reports.options"
REPORT_OPTIONS: dict[str, Any] = {
    "header": "29",  # 29 | 28 | 27 | b2b (NOTES §5.4 variants)
    "encoding": "UTF-8",  # charset of the document and of its Content-Type (UTF-8, windows-1252, ...)
    "charset": "",  # charset the Content-Type declares when it lies about `encoding` ("" = the same)
    "gzip": False,  # store the document gzip-compressed and answer compressionAlgorithm GZIP
    "outcome": "DONE",  # DONE | FATAL | CANCELLED: how the report ends
    "empty": False,  # a zero-byte document
    "broken_rows": False,  # damage every 7th row (short, extra field, junk numbers, split line)
    "missing_columns": [],  # header names left out of the document
    "stuck": False,  # stays IN_PROGRESS
    "queue_seconds": 60,  # Amazon seconds IN_QUEUE
    "processing_seconds": 120,  # Amazon seconds IN_PROGRESS
}
"""Report options and their defaults."""

OUTCOMES = ("DONE", "FATAL", "CANCELLED")
RETENTION_SECONDS = 90 * 86400
"""Reports are retained 90 days (getReports' createdSince default looks back that far)."""


def get_options(store: Store) -> dict[str, Any]:
    """The current report options (defaults merged with what was set)."""
    stored = store.get_meta(OPTIONS_KEY)
    return {**REPORT_OPTIONS, **(json.loads(stored) if stored else {})}


def set_options(store: Store, values: dict[str, Any]) -> dict[str, Any]:
    """Replace the report options with `values` (unset keys take defaults); ValueError on bad input."""
    unknown = set(values) - set(REPORT_OPTIONS)
    if unknown:
        raise ValueError(
            f"unknown report options: {', '.join(sorted(unknown))} (allowed: {', '.join(REPORT_OPTIONS)})"
        )
    options = {**REPORT_OPTIONS, **values}
    options["header"] = str(options["header"])
    if options["header"] not in listings_report.HEADERS:
        raise ValueError(f"header must be one of {', '.join(listings_report.HEADERS)}")
    for name in ("encoding", "charset"):
        try:
            if options[name]:
                codecs.lookup(str(options[name]))
        except LookupError as exc:
            raise ValueError(f"unknown {name} {options[name]!r}") from exc
    if options["outcome"] not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    if not isinstance(options["missing_columns"], list):
        raise ValueError("missing_columns must be a list of header names")
    for name in ("gzip", "empty", "broken_rows", "stuck"):
        options[name] = bool(options[name])
    for name in ("queue_seconds", "processing_seconds"):
        options[name] = float(options[name])
        if options[name] < 0:
            raise ValueError(f"{name} must not be negative")
    store.set_meta(OPTIONS_KEY, json.dumps(options))
    return options


def clear_options(store: Store) -> None:
    """Back to the default report options."""
    store.execute("DELETE FROM meta WHERE key = ?", (OPTIONS_KEY,))


@operation(MODEL, "createReport")
def create_report(ctx: OperationContext) -> tuple[int, dict]:
    """Queue a listings report for the seller's marketplaces."""
    body = ctx.body
    report_type = body["reportType"]
    if report_type not in listings_report.REPORT_STATUSES:
        raise ApiError(
            400,
            "InvalidInput",
            f"Invalid reportType: {report_type}. This sandbox supports "
            f"{', '.join(listings_report.REPORT_STATUSES)}.",
        )
    marketplace_ids = list(dict.fromkeys(body["marketplaceIds"]))
    processing.check_marketplaces(ctx.store, ctx.seller_id, marketplace_ids)
    now = ctx.now
    start = _parse_time(body.get("dataStartTime"), "dataStartTime", now)
    end = _parse_time(body.get("dataEndTime"), "dataEndTime", now)
    if start > end:
        raise ApiError(400, "InvalidInput", "dataStartTime must be before dataEndTime.")
    report_id = processing.new_processing_id()
    ctx.store.execute(
        "INSERT INTO reports (report_id, seller_id, report_type, marketplace_ids, created_at, data_start, "
        "data_end, options) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            report_id,
            ctx.seller_id,
            report_type,
            json.dumps(marketplace_ids),
            now,
            start,
            end,
            json.dumps(get_options(ctx.store)),
        ),
    )
    return 202, {"reportId": report_id}


def _parse_time(value: str | None, name: str, now: float) -> float:
    if value is None:
        return now
    try:
        ts = parse_iso(value)
    except ValueError as exc:
        raise ApiError(
            400, "InvalidInput", f"Invalid {name}: {value!r} is not an ISO 8601 date-time."
        ) from exc
    if ts > now + 1:
        raise ApiError(400, "InvalidInput", f"Invalid {name}: it must not be in the future.")
    return ts


def _describe(ctx: OperationContext, row: sqlite3.Row) -> dict[str, Any]:
    """The Report object at this Amazon moment; finishes the report (builds its document) when due."""
    options = json.loads(row["options"])
    now = ctx.now
    created = row["created_at"]
    started = created + options["queue_seconds"]
    finished = started + options["processing_seconds"]
    report: dict[str, Any] = {
        "reportId": row["report_id"],
        "reportType": row["report_type"],
        "marketplaceIds": json.loads(row["marketplace_ids"]),
        "createdTime": iso(created),
        "dataStartTime": iso(row["data_start"]),
        "dataEndTime": iso(row["data_end"]),
    }
    if row["cancelled_at"] is not None:
        return {**report, "processingStatus": "CANCELLED", "processingEndTime": iso(row["cancelled_at"])}
    if now < started:
        return {**report, "processingStatus": "IN_QUEUE"}
    stuck = options["stuck"] or is_stuck(ctx.store, "createReport")
    if now < finished or (stuck and row["final_status"] is None):
        return {**report, "processingStatus": "IN_PROGRESS", "processingStartTime": iso(started)}
    if row["final_status"] is None:
        row = _finish(ctx, row, options)
    report.update(
        processingStatus=row["final_status"],
        processingStartTime=iso(started),
        processingEndTime=iso(finished),
    )
    if row["document_id"]:
        report["reportDocumentId"] = row["document_id"]
    return report


def _finish(ctx: OperationContext, row: sqlite3.Row, options: dict[str, Any]) -> sqlite3.Row:
    """Decide the final status and store the document, once (see processing.finish_once)."""
    return processing.finish_once(ctx, REPORTS, row, lambda conn, fresh: _settle(ctx, conn, fresh, options))


def _settle(
    ctx: OperationContext, conn: sqlite3.Connection, fresh: sqlite3.Row, options: dict[str, Any]
) -> None:
    """Store the final status and, when the report has one, its document."""
    status, body, content_type = _produce(conn, ctx.base_url, fresh, options)
    document_id = None
    if body is not None:
        document_id = new_document_id(REPORT_DOCUMENT, seller_region(ctx.store, fresh["seller_id"]))
        compression = "GZIP" if options["gzip"] else None
        create_document(
            conn,
            document_id=document_id,
            seller_id=fresh["seller_id"],
            kind=REPORT_DOCUMENT,
            content_type=content_type,
            now=ctx.now,
            compression=compression,
            body=gzip.compress(body, mtime=0) if compression else body,
        )
    conn.execute(
        "UPDATE reports SET final_status = ?, document_id = ? WHERE report_id = ?",
        (status, document_id, fresh["report_id"]),
    )


def _produce(
    conn: sqlite3.Connection, base_url: str, row: sqlite3.Row, options: dict[str, Any]
) -> tuple[str, bytes | None, str]:
    """(final status, document bytes or None, content type) for a finished report."""
    if options["outcome"] == "CANCELLED":
        return "CANCELLED", None, ""
    if options["outcome"] == "FATAL":
        # Amazon attaches a small JSON document explaining a FATAL report.
        details = {
            "errorDetails": "The report could not be generated because of an internal processing error."
        }
        return "FATAL", json.dumps(details).encode(), "application/json; charset=UTF-8"
    rows = listings_report.build_rows(
        conn, row["seller_id"], json.loads(row["marketplace_ids"]), row["report_type"], base_url
    )
    if not rows and not options["empty"]:
        return "CANCELLED", None, ""
    text = listings_report.render(rows, options)
    encoding = options["encoding"]
    declared = options.get("charset") or encoding
    return "DONE", text.encode(encoding, errors="replace"), f"text/tab-separated-values; charset={declared}"


REPORTS = processing.Processed(table="reports", key_column="report_id", noun="Report", describe=_describe)


@operation(MODEL, "getReport")
def get_report(ctx: OperationContext) -> tuple[int, dict]:
    """The report's processing status (and document id once finished)."""
    return 200, _describe(ctx, processing.load(ctx, REPORTS, ctx.params["reportId"]))


@operation(MODEL, "getReports")
def get_reports(ctx: OperationContext) -> tuple[int, dict]:
    """The seller's reports filtered by type, status, marketplace and creation time, newest first."""
    params, offset, page_size = list_request(ctx.params, "reportTypes")
    now = ctx.now
    since = (
        _parse_time(params["createdSince"], "createdSince", now)
        if params.get("createdSince")
        else (now - RETENTION_SECONDS)
    )
    until = _parse_time(params["createdUntil"], "createdUntil", now) if params.get("createdUntil") else now
    # Tokens the sandbox issues always carry reportTypes; without them every type is listed.
    matches = processing.matching(
        ctx,
        REPORTS,
        params,
        since,
        until,
        lambda row: not params.get("reportTypes") or row["report_type"] in params["reportTypes"],
    )
    return 200, list_page(matches, "reports", params, offset, page_size)


@operation(MODEL, "cancelReport")
def cancel_report(ctx: OperationContext) -> tuple[int, None]:
    """Cancel a report that is still IN_QUEUE."""
    return processing.cancel(ctx, REPORTS, ctx.params["reportId"])


@operation(MODEL, "getReportDocument")
def get_report_document(ctx: OperationContext) -> tuple[int, dict]:
    """A presigned download URL (valid 5 Amazon minutes) for a report document of the seller."""
    return document_link(
        ctx,
        ctx.params["reportDocumentId"],
        (REPORT_DOCUMENT,),
        "Report document",
        "reportDocumentId",
        "/documents/report",
    )


@bp.get("/documents/report/<document_id>")
def download_report_document(document_id: str) -> Response:
    """The document bytes behind a presigned URL (no SP-API headers needed, like S3)."""
    return serve_document(document_id, (REPORT_DOCUMENT,))


@admin_bp.get("/report-options")
def show_report_options():
    """The report options that the next createReport will use."""
    return jsonify(get_options(current().store))


@admin_bp.put("/report-options")
def put_report_options():
    """Set report options, e.g. `{"header": "28", "encoding": "windows-1252", "gzip": true}`."""
    try:
        return jsonify(set_options(current().store, request.get_json(silent=True) or {}))
    except (TypeError, ValueError) as exc:
        return jsonify({"error": str(exc)}), 400


@admin_bp.delete("/report-options")
def delete_report_options():
    """Back to the default report options."""
    clear_options(current().store)
    return jsonify(get_options(current().store))


@cli.command("report-options")
@db_option
@click.option("--header", type=click.Choice(sorted(listings_report.HEADERS)), default="29", show_default=True)
@click.option("--encoding", default="UTF-8", show_default=True)
@click.option("--gzip/--no-gzip", "use_gzip", default=False)
@click.option("--outcome", type=click.Choice(OUTCOMES), default="DONE", show_default=True)
@click.option("--empty/--no-empty", default=False, help="Zero-byte document.")
@click.option("--broken-rows/--no-broken-rows", default=False, help="Damage every 7th row.")
@click.option("--missing-column", "missing", multiple=True, help="Leave this header column out (repeatable).")
@click.option("--stuck/--no-stuck", default=False, help="Reports stay IN_PROGRESS.")
@click.option("--queue-seconds", type=float, default=60.0, show_default=True)
@click.option("--processing-seconds", type=float, default=120.0, show_default=True)
@click.option("--clear", is_flag=True, help="Back to the defaults.")
@click.option("--show", is_flag=True, help="Print the current options.")
def report_options_cmd(
    db: str | None,
    header: str,
    encoding: str,
    use_gzip: bool,
    outcome: str,
    empty: bool,
    broken_rows: bool,
    missing: tuple[str, ...],
    stuck: bool,
    queue_seconds: float,
    processing_seconds: float,
    clear: bool,
    show: bool,
) -> None:
    """Set the options of reports created from now on (header variant, encoding, gzip, outcome, damage)."""
    from sandbox.cli import _state

    store = _state(db).store
    if clear:
        clear_options(store)
    elif not show:
        try:
            set_options(
                store,
                {
                    "header": header,
                    "encoding": encoding,
                    "gzip": use_gzip,
                    "outcome": outcome,
                    "empty": empty,
                    "broken_rows": broken_rows,
                    "missing_columns": list(missing),
                    "stuck": stuck,
                    "queue_seconds": queue_seconds,
                    "processing_seconds": processing_seconds,
                },
            )
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
    click.echo(json.dumps(get_options(store), indent=2))
