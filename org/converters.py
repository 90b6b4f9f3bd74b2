"""URL converters shared by every app's URLconf (registered once in ``OrgConfig.ready``)."""

from __future__ import annotations


class IdConverter:
    """A primary key or position in a URL: at most 18 digits, so it always fits a bigint.

    Django's ``int`` converter takes any number of digits, and 1180591620717411303424
    overflows the database driver (a 500) instead of being the 404 it is.
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
