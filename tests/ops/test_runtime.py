"""The serving process freezes its start-up heap so full garbage collections stay short."""

from __future__ import annotations

import gc


def test_freeze_heap_moves_start_up_objects_out_of_the_collector():
    from yuzhi.ops.runtime import freeze_heap

    try:
        before = len(gc.get_objects())
        frozen = freeze_heap()
        assert frozen > 0 and len(gc.get_objects()) < before - frozen // 2
    finally:
        gc.unfreeze()


def test_the_worker_factory_builds_the_app(yuzhi_env):
    from yuzhi.ops.runtime import create_served_app

    assert yuzhi_env.run("db", "upgrade").exit_code == 0
    try:
        from fastapi.testclient import TestClient

        assert TestClient(create_served_app()).get("/healthz").status_code == 200
    finally:
        gc.unfreeze()
