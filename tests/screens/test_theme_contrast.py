"""Every text colour on its background reaches 4.5:1 (MIIT 适老化, WCAG AA)."""

from __future__ import annotations

import pytest

from screens import theme


@pytest.mark.parametrize(("fg", "bg"), theme.CONTRAST_PAIRS)
def test_contrast_at_least_4_5(fg: str, bg: str) -> None:
    assert theme.contrast(fg, bg) >= 4.5


def test_elderly_mode_is_at_least_one_and_a_half_times_larger() -> None:
    n, e = theme.NORMAL, theme.ELDERLY
    assert e.body_px >= 1.5 * n.body_px and e.title_px >= 1.5 * n.title_px
    assert n.target_px >= 60 and e.target_px >= 90
