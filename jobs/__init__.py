"""RQ jobs (one module per integration) and the worker and scheduler entry points.

``jobs`` imports ``webapp``, never the reverse: the web app enqueues jobs by dotted path with ids.
"""
