"""`python -m sandbox ...`: the sandbox CLI."""

from __future__ import annotations

from sandbox import load_operation_modules
from sandbox.cli import cli

load_operation_modules()
cli()
