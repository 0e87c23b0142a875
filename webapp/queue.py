"""The RQ queue the web app enqueues integration jobs on."""

from __future__ import annotations

from flask import current_app
from rq import Queue

from webapp.redis_conn import get_redis


def get_queue() -> Queue:
    """The configured queue (``RQ_QUEUE``) on the app's Redis."""
    return Queue(current_app.config["RQ_QUEUE"], connection=get_redis())
