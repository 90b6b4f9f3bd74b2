"""Small steps the browser tests share."""

from __future__ import annotations

from typing import Any


def open_site_menu(page: Any) -> None:
    """Unfold the header's menu where it is folded (a phone); on a desktop the links stand open."""
    toggle = page.locator("summary.menu-toggle")
    if toggle.is_visible() and page.locator("details.site-menu[open]").count() == 0:
        toggle.click()
