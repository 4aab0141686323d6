"""The admin's ASGI application, static files included (no collectstatic needed).

Call after ``setup_django``; this does not call ``django.setup()`` again.
"""

from __future__ import annotations


def admin_application():
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.handlers.asgi import ASGIHandler

    return ASGIStaticFilesHandler(ASGIHandler())
