"""Private files: where they are kept and the one way they leave the server.

Certificate PDFs, bulk ZIPs, exports and question-import uploads are stored through
Django's storage API in the ``private`` storage (settings.STORAGES), never under
MEDIA_ROOT, which anybody may fetch. Names are unguessable (``private_name``). Nothing
serves them by URL: a view that has checked the owner or the scope answers with
``private_file_response``, which streams the file or, in production, hands it to the
reverse proxy (``PRIVATE_FILES_SERVER``: nginx's X-Accel-Redirect to an ``internal``
location, or X-Sendfile for Apache and lighttpd). docs/security.md has the proxy set-up.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.utils.functional import cached_property


class PrivateFileStorage(FileSystemStorage):
    """Files under PRIVATE_ROOT that have no URL: only a view can hand one out.

    The backend of STORAGES["private"] on a single host or a shared filesystem; several hosts
    without one use an object-store backend under the same alias instead.
    """

    @cached_property
    def base_location(self) -> str:
        return str(self._value_or_setting(getattr(self, "_location", None), settings.PRIVATE_ROOT))

    def _clear_cached_properties(self, setting: Any, **kwargs: Any) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL; a view serves them (org/files.py).")


def private_storage() -> Storage:
    """The storage of private files (a callable, so FileFields follow the settings)."""
    return storages["private"]


def private_name(folder: str, suffix: str) -> str:
    """A fresh, unguessable name in ``folder``: 192 random bits, nothing of the holder."""
    return f"{folder}/{secrets.token_urlsafe(24)}{suffix}"


def private_file_response(name: str, *, filename: str, content_type: str) -> HttpResponseBase:
    """A download of the private file ``name``: the caller has checked who may have it."""
    server = settings.PRIVATE_FILES_SERVER
    response: HttpResponseBase
    if server == "nginx":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.PRIVATE_FILES_INTERNAL_URL + quote(name)
    elif server == "sendfile":
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = str(Path(private_storage().path(name)))
    else:
        response = FileResponse(private_storage().open(name, "rb"), content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{_ascii(filename)}\"; filename*=UTF-8''{quote(filename)}"
    )
    # Personal data: no shared or browser cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _ascii(filename: str) -> str:
    """A plain fallback name for old clients; the UTF-8 one carries the real name."""
    kept = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return kept or "download"
