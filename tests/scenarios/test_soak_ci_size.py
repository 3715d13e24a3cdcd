"""The soak at CI size: 100 simulated visits (applications, idle resets, staff-assisted
visits, a technician session) through the real Terminal and KioskWindow with every
device simulated. Open file descriptors and threads must come back to where they were
after the warm-up, and no visit may fail. Timings and memory are `make bench`'s
(bench/bench_soak.py, 2,000 visits): a shared CI runner is too noisy for them."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

VISITS = int(os.environ.get("KIOSK_SOAK_VISITS", "100"))


def _bench() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "bench_soak.py"
    spec = importlib.util.spec_from_file_location("bench_soak", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # @dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_soak_keeps_descriptors_and_threads_flat(tmp_path: Path) -> None:
    result = _bench().run_soak(VISITS, workdir=tmp_path)
    print(result.report())
    assert result.failures == 0, result.errors[:3]
    assert result.fds_end <= result.fds_start + 2, result.report()
    assert result.threads_end <= result.threads_start + 2, result.report()
    assert result.fds_max <= result.fds_start + 6, result.report()  # nothing piles up between samples either
    assert result.delivered >= VISITS // 2 - 1  # every application got to the platform
