"""Views: sources list, create, detail, edit, delete; CSV upload, column mapping, start import."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.extensions import db
from webapp.htmx import hx_redirect, is_htmx, render
from webapp.models import Source, SourceUpload
from webapp.services.csv_import.columns import needs_review
from webapp.services.csv_import.formats import UnreadableFile
from webapp.services.source_uploads import (
    can_start,
    import_in_progress,
    preview_of,
    recent_uploads,
    save_mapping,
    start_import,
    store_upload,
)
from webapp.services.sources import (
    COMPLIANCE_EXPLANATION,
    create_source,
    delete_source,
    item_count,
    noncompliant_sources,
    sources_with_counts,
    update_source,
)
from webapp.sources import bp
from webapp.sources.deletion import source_consequences
from webapp.sources.forms import ConfirmForm, SourceForm, UploadForm, mapping_form
from webapp.tenancy import current_account_id, get_owned_or_404


def _detail_context(source: Source, upload_form: UploadForm | None = None) -> dict:
    return {
        "source": source,
        "items": item_count(source),
        "uploads": recent_uploads(source),
        "upload_form": upload_form or UploadForm(formdata=None),
        "confirm_form": ConfirmForm(formdata=None),
        "can_start": can_start,
    }


def _load_upload(source_id: int, upload_id: int) -> tuple[Source, SourceUpload]:
    """The current account's source and one of its uploads (404 for anything else)."""
    source = get_owned_or_404(Source, source_id)
    upload = get_owned_or_404(SourceUpload, upload_id)
    if upload.source_id != source.id:
        abort(404)
    return source, upload


def _start(upload: SourceUpload):
    """Start the import and show its run (or say which import is in the way)."""
    result = start_import(upload, current_user.id)
    if result.already_running:
        link = url_for("runs.detail", run_id=result.run.id)
        flash(
            Markup(
                'Another import into this source is running (<a href="{}">run #{}</a>). '
                "Your file is saved: start it here when that one has finished."
            ).format(link, result.run.id),
            "warning",
        )
        return hx_redirect(url_for("sources.detail", source_id=upload.source_id))
    return hx_redirect(url_for("runs.detail", run_id=result.run.id))


@bp.get("/")
@login_required
def index():
    """The account's sources with item counts, and a warning for each non-compliant one."""
    account_id = current_account_id()
    return render_template(
        "sources/index.html",
        sources=sources_with_counts(account_id),
        noncompliant=noncompliant_sources(account_id),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    """Add a source."""
    form = SourceForm()
    if form.validate_on_submit():
        source = create_source(current_account_id(), **form.values())
        db.session.commit()
        flash(f"Source {source.name} added. Upload its inventory CSV below.", "success")
        return hx_redirect(url_for("sources.detail", source_id=source.id))
    status = 422 if form.is_submitted() else 200
    return render(
        "sources/form.html",
        "sources/partials/_form.html",
        status=status,
        form=form,
        source=None,
        explanation=COMPLIANCE_EXPLANATION,
    )


@bp.get("/<int:source_id>")
@login_required
def detail(source_id: int):
    """A source: details, item count, CSV upload and its imports."""
    source = get_owned_or_404(Source, source_id)
    return render("sources/detail.html", "sources/partials/_uploads.html", **_detail_context(source))


@bp.route("/<int:source_id>/edit", methods=["GET", "POST"])
@login_required
def edit(source_id: int):
    """Change a source's details and compliance."""
    source = get_owned_or_404(Source, source_id)
    form = SourceForm(obj=source)
    if form.validate_on_submit():
        update_source(source, **form.values())
        db.session.commit()
        flash(f"Source {source.name} saved.", "success")
        return hx_redirect(url_for("sources.detail", source_id=source.id))
    status = 422 if form.is_submitted() else 200
    return render(
        "sources/form.html",
        "sources/partials/_form.html",
        status=status,
        form=form,
        source=source,
        explanation=COMPLIANCE_EXPLANATION,
    )


@bp.get("/<int:source_id>/delete")
@login_required
def confirm_delete(source_id: int):
    """Ask before deleting, counting the items that go and the listings and orders that lose the source."""
    source = get_owned_or_404(Source, source_id)
    consequences = source_consequences(source)
    return render_template(
        "sources/delete.html",
        source=source,
        items=consequences.items,
        consequences=consequences,
        form=ConfirmForm(),
    )


@bp.post("/<int:source_id>/delete")
@login_required
def delete(source_id: int):
    """Delete a source and its items (refused while an import into it is running)."""
    source = get_owned_or_404(Source, source_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    running = import_in_progress(source)
    if running is not None:
        flash(
            Markup(
                'An import into this source is running (<a href="{}">run #{}</a>). Cancel it or wait, '
                "then delete the source."
            ).format(url_for("runs.detail", run_id=running.id), running.id),
            "error",
        )
        return hx_redirect(url_for("sources.detail", source_id=source.id))
    name = source.name
    items = delete_source(source)
    flash(f"Source {name} deleted with its {items} item{'s' if items != 1 else ''}.", "success")
    return hx_redirect(url_for("sources.index"))


@bp.post("/<int:source_id>/uploads")
@login_required
def upload(source_id: int):
    """Store an inventory CSV, then start its import (or ask for the column mapping first)."""
    source = get_owned_or_404(Source, source_id)
    form = UploadForm()
    if form.validate_on_submit():
        file = form.file.data
        try:
            stored = store_upload(current_account_id(), source, file.filename, file.read())
        except UnreadableFile as problem:
            form.file.errors = [str(problem)]
        else:
            if needs_review(stored.headers, stored.mapping):
                return hx_redirect(url_for("sources.mapping", source_id=source.id, upload_id=stored.id))
            return _start(stored)
    return render(
        "sources/detail.html",
        "sources/partials/_upload_form.html",
        status=422,
        **_detail_context(source, form),
    )


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge):
    """An upload over ``MAX_CONTENT_LENGTH``: say so on the form instead of a bare 413 page."""
    if not current_user.is_authenticated:
        return error
    source = get_owned_or_404(Source, (request.view_args or {}).get("source_id", 0))
    limit_mb = (request.max_content_length or 0) // (1024 * 1024)
    message = (
        f"The file is larger than {limit_mb} MB. Split it into smaller files and upload them one by one."
    )
    if not is_htmx():
        flash(message, "error")
        return redirect(url_for("sources.detail", source_id=source.id))
    form = UploadForm(formdata=None)
    form.file.errors = [message]
    return render(
        "sources/detail.html",
        "sources/partials/_upload_form.html",
        status=422,
        **_detail_context(source, form),
    )


@bp.route("/<int:source_id>/uploads/<int:upload_id>/mapping", methods=["GET", "POST"])
@login_required
def mapping(source_id: int, upload_id: int):
    """The column-mapping step: each file column → a field or ignore; saving starts the import."""
    source, upload = _load_upload(source_id, upload_id)
    if upload.run is not None and not upload.run.finished:
        return hx_redirect(url_for("runs.detail", run_id=upload.run.id))  # the mapping is in use
    if upload.content_deleted_at is not None:
        flash("This file is no longer kept. Upload it again.", "warning")
        return hx_redirect(url_for("sources.detail", source_id=source.id))
    form = mapping_form(upload.headers, upload.mapping)
    problems: list[str] = []
    if form.validate_on_submit():
        problems = save_mapping(upload, form.mapping())
        if not problems:
            return _start(upload)
    status = 422 if form.is_submitted() else 200
    return render(
        "sources/mapping.html",
        "sources/partials/_mapping_form.html",
        status=status,
        source=source,
        upload=upload,
        form=form,
        problems=problems,
        preview=preview_of(upload),
    )


@bp.post("/<int:source_id>/uploads/<int:upload_id>/start")
@login_required
def start(source_id: int, upload_id: int):
    """Start (again) the import of a stored upload."""
    source, upload = _load_upload(source_id, upload_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not can_start(upload):
        flash("This file cannot be imported now: it is being imported, or it is no longer kept.", "warning")
        return hx_redirect(url_for("sources.detail", source_id=source.id))
    return _start(upload)
