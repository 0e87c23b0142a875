"""Supplier CSV import: file formats (``formats``), header mapping (``columns``), row values (``values``).

The web app uses it to read an upload's header and propose a column mapping; the import job
(``jobs.source_import``) uses it to stream and parse the rows.
"""
