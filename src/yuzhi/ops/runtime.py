"""Process tuning for ``yuzhi serve``: keep the garbage collector's full passes short.

A serving process holds about half a million long-lived objects after start-up (SQLAlchemy, numpy,
templates, the app). CPython's full (generation 2) collection walks all of them: on the 2-CPU bench
box that was a 750–800 ms pause every few page views (``bench/scale.py --phases big-year``: statement
page p50 112 ms, p95 822 ms at a million bills). ``gc.freeze()`` after start-up moves them out of the
collector's sight for good (they live as long as the process anyway); pauses drop to about 100 ms.
"""

from __future__ import annotations

import gc
from typing import Any


def freeze_heap() -> int:
    """Collect once, then freeze what survives start-up. Returns the number of frozen objects."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def create_served_app() -> Any:
    """The app for each ``yuzhi serve --workers N`` worker (uvicorn factory): built, then frozen."""
    from yuzhi.web.app import create_app

    app = create_app()
    freeze_heap()
    warm_forecasts(app.state.engine)
    return app


def warm_forecasts(engine: Any) -> None:
    """The dashboard's forecasts computed at start and kept fresh in this process, off the request path
    (:func:`yuzhi.vouchers.simulate_service.keep_forecasts_warm`)."""
    from yuzhi.vouchers.simulate_service import keep_forecasts_warm

    keep_forecasts_warm(engine)
