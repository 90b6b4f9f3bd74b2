from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Certificates (PDFs, ZIPs) and images of a test land in its own folders, not in var/."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def private_root(settings: Any, media_root: Path) -> Path:
    return Path(settings.PRIVATE_ROOT)
