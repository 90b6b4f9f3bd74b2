"""A Celery app for one test: the real worker, but rendering a certificate first waits
SLOW_RENDER_SECONDS, so the test can kill the worker in the middle of a render."""

from __future__ import annotations

import os
import time
from typing import Any

from celery.signals import worker_init

from lms.celery import app

__all__ = ["app"]


@worker_init.connect
def _slow_down_rendering(**_kwargs: Any) -> None:
    from certificates import rendering

    original = rendering.render_pdf
    delay = float(os.environ.get("SLOW_RENDER_SECONDS", "5"))

    def slow_render_pdf(*args: Any, **kwargs: Any) -> bytes:
        time.sleep(delay)
        return original(*args, **kwargs)

    rendering.render_pdf = slow_render_pdf
