"""Look and size of every screen, normal and elderly (长辈模式).

Numbers from kiosk-features.md (c): touch targets ≥ 60 px always and ≥ 90 px in
elderly mode here (MIIT 适老化 asks ≥ 60 dp for 长辈版; a wall-mounted 1080×1920 panel
is read from further away), text ×1.5 in elderly mode, contrast ≥ 4.5:1 (every pair
below is checked by tests/screens/test_theme_contrast.py), no animation.
"""

from __future__ import annotations

from dataclasses import dataclass

# Colours: (foreground, background) pairs that appear on screen.
INK = "#1a1a1a"
PAPER = "#ffffff"
MUTED = "#4a4a4a"  # secondary text on PAPER
BAND = "#0b4f8a"  # top bar and primary buttons (政务蓝)
ON_BAND = "#ffffff"
SOFT = "#eef3f8"  # tiles
ALERT = "#a4260f"  # errors, on PAPER
ALERT_BG = "#fdecea"
OK = "#1d6b33"  # success text, on PAPER
STRIP = "#263238"  # status strip
ON_STRIP = "#ffffff"
WARN_ON_STRIP = "#ffd54f"

CONTRAST_PAIRS = (
    (INK, PAPER), (MUTED, PAPER), (ON_BAND, BAND), (INK, SOFT), (ALERT, PAPER),
    (ALERT, ALERT_BG), (OK, PAPER), (ON_STRIP, STRIP), (WARN_ON_STRIP, STRIP), (BAND, PAPER),
)

FONT_FAMILY = "Noto Sans CJK SC"


@dataclass(frozen=True)
class Metrics:
    scale: float
    body_px: int
    title_px: int
    huge_px: int
    small_px: int
    target_px: int  # minimum height and width of anything touchable
    gap_px: int


NORMAL = Metrics(scale=1.0, body_px=30, title_px=48, huge_px=72, small_px=24, target_px=72, gap_px=20)
ELDERLY = Metrics(scale=1.5, body_px=45, title_px=72, huge_px=108, small_px=36, target_px=100, gap_px=28)


def metrics(elderly: bool) -> Metrics:
    return ELDERLY if elderly else NORMAL


def stylesheet(m: Metrics) -> str:
    return f"""
    * {{ font-family: "{FONT_FAMILY}"; font-size: {m.body_px}px; color: {INK}; }}
    QWidget#screen, QWidget#content {{ background: {PAPER}; }}
    QLabel#title {{ font-size: {m.title_px}px; font-weight: bold; }}
    QLabel#huge {{ font-size: {m.huge_px}px; font-weight: bold; color: {BAND}; }}
    QLabel#hint, QLabel#small {{ font-size: {m.small_px}px; color: {MUTED}; }}
    QLabel#error {{ color: {ALERT}; background: {ALERT_BG}; padding: 12px; border-radius: 8px; }}
    QLabel#ok {{ color: {OK}; }}
    QPushButton {{
        min-height: {m.target_px}px; min-width: {m.target_px}px; padding: 8px 24px;
        border: 2px solid {BAND}; border-radius: 12px; background: {PAPER}; color: {BAND};
    }}
    QPushButton:pressed {{ background: {SOFT}; }}
    QPushButton:disabled {{ border-color: #9e9e9e; color: #616161; }}
    QPushButton#primary {{ background: {BAND}; color: {ON_BAND}; font-weight: bold; }}
    QPushButton#primary:disabled {{ background: #9e9e9e; color: {INK}; }}
    QPushButton#tile {{
        background: {SOFT}; color: {INK}; border: 2px solid #c5d3e0; text-align: left;
        padding: 20px 28px;
    }}
    QPushButton#danger {{ border-color: {ALERT}; color: {ALERT}; }}
    QWidget#topbar {{ background: {BAND}; }}
    QWidget#topbar QLabel {{ color: {ON_BAND}; font-size: {m.small_px}px; }}
    QWidget#topbar QLabel#hall {{ font-size: {m.body_px}px; font-weight: bold; }}
    QWidget#topbar QPushButton {{
        background: {BAND}; color: {ON_BAND}; border: 2px solid {ON_BAND};
        font-size: {m.small_px}px; padding: 4px 16px;
    }}
    QWidget#topbar QPushButton#help {{ background: {PAPER}; color: {BAND}; font-weight: bold; }}
    QWidget#strip {{ background: {STRIP}; }}
    QWidget#strip QLabel {{ color: {ON_STRIP}; font-size: {m.small_px}px; }}
    QWidget#strip QLabel#warn {{ color: {WARN_ON_STRIP}; }}
    QFrame#overlay {{ background: rgba(0, 0, 0, 170); }}
    QFrame#card {{ background: {PAPER}; border-radius: 16px; }}
    QLineEdit, QTextEdit, QPlainTextEdit, QComboBox, QDateEdit {{
        min-height: {m.target_px}px; border: 2px solid #8a99a8; border-radius: 8px;
        padding: 4px 12px; background: {PAPER};
    }}
    QLineEdit:focus {{ border-color: {BAND}; }}
    QCheckBox::indicator, QRadioButton::indicator {{ width: {m.target_px // 2}px; height: {m.target_px // 2}px; }}
    QScrollBar:vertical {{ width: {m.target_px // 2}px; }}
    """


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio."""
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)
