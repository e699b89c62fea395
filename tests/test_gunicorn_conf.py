"""gunicorn.conf.py: each worker freezes the loaded app out of the GC's reach (issue 15)."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


@pytest.fixture()
def conf():
    before = gc.get_threshold()
    yield runpy.run_path(str(CONF))
    gc.unfreeze()
    gc.set_threshold(*before)


def test_a_worker_freezes_what_it_loaded_and_raises_the_thresholds(conf, monkeypatch):
    monkeypatch.delenv("RENKEI_GC_THRESHOLDS", raising=False)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    conf["post_worker_init"](None)
    assert gc.get_freeze_count() > 10_000  # pytest, the app's modules: all frozen
    assert gc.get_threshold() == (50_000, 20, 100)


def test_the_thresholds_come_from_the_environment(conf, monkeypatch):
    monkeypatch.setenv("RENKEI_GC_THRESHOLDS", "20000, 15, 30")
    conf["post_worker_init"](None)
    assert gc.get_threshold() == (20_000, 15, 30)
    assert conf["gc_thresholds"]("") is None  # empty: Python's own are kept
    assert conf["gc_thresholds"](None) == (50_000, 20, 100)
