"""The HTTP service (``nser-link serve --registry RUN``): desk lookup and the partner portal.

One FastAPI application per registry (a ``dedupe`` or ``link-waves`` output folder). Its
own state (access tokens, partner uploads, the audit trail) lives in the run's
``SERVICE_DIR``, so it travels with the run it answers for.
"""
