"""Fixtures of the camera tests: a fake clock, generated frames at CI size.

Frames are generated at 2104 × 1560 (a 13 MP frame halved): the detector works on the
same 1052 × 780 image as at 13 MP, and generation costs a quarter.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from drivers.camera import synth

CI_SIZE = (2104, 1560)


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def page_frames() -> list[synth.SynthFrame]:
    return list(synth.page_set(42, seed=11, size=CI_SIZE))


@pytest.fixture(scope="session")
def empty_frames() -> list[synth.SynthFrame]:
    return list(synth.empty_set(21, seed=11, size=CI_SIZE))
