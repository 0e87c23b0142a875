"""gunicorn settings, read automatically from the working directory (``make run`` and production).

The access log leaves out the query string and the Referer: searches put buyer names, SKUs and order
ids in ``?q=``, and buyer PII must never reach a log (Amazon's data protection policy).
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
