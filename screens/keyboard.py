"""The on-screen keyboards: letters in A–Z order with a small pinyin input method, and
a 12-key numeric pad. Nothing here needs a hardware keyboard or a system IME.

Why our own widget and not Qt Virtual Keyboard: QtVK is a QML component; in a widgets
app it opens its own top-level window, which under eglfs (one full-screen surface) and
offscreen is not shown at all (PySide6 6.11 wheels: "No module named
QtQuick.VirtualKeyboard"), `window.grab()` cannot capture it for the tour, and its key
sizes do not follow our elderly mode. Searching needs no IME at all (kiosk.search finds
items by pinyin initials); form fields get a plain pinyin IME below.

Letters are in alphabetical order, seven to a row, not QWERTY: residents who have never
used a computer find a letter faster in the order they learnt at school (汉语拼音字母表),
and seven keys to a row leave each key about 130 px wide at 1080 px. The numeric pad is
the 1-2-3 telephone layout (Section 508's 12-key layout).

The pinyin IME is pure Python over pypinyin's dictionaries (already a dependency for
search): characters for a syllable ranked by how many of pypinyin's ~47,000 phrases use
that character with that reading (a usable stand-in for frequency: 张 before 彰), and
whole phrases whose pinyin is what was typed (beijing → 北京 背景). It is built once
per process (about 0.5 s), off the GUI thread when `warm_up` is given a background.
"""

from __future__ import annotations

import collections
import enum
import threading
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.strings import register
from screens import theme
from screens.base import make_button, make_label

register({
    "kbd.backspace": ("⌫ 退格", "⌫ Del"),
    "kbd.space": ("空格", "Space"),
    "kbd.clear": ("清空", "Clear"),
    "kbd.hide": ("收起", "Hide"),
    "kbd.to_digits": ("数字", "123"),
    "kbd.to_letters": ("字母", "ABC"),
    "kbd.to_pinyin": ("拼音", "Pinyin"),
    "kbd.pinyin_on": ("中文", "Chinese"),
    "kbd.pinyin_off": ("英文", "English"),
    "kbd.compose_hint": ("输入拼音，再点选下面的汉字", "Type pinyin, then tap a character below"),
    "kbd.search_hint": ("输入拼音首字母，例如 wfzjl", "Type pinyin initials, e.g. wfzjl"),
    "kbd.more": ("›", "›"),
    "kbd.less": ("‹", "‹"),
})

Target = QLineEdit | QPlainTextEdit


class KeyboardKind(enum.Enum):
    SEARCH = "search"  # letters and digits straight into the field
    TEXT = "text"  # pinyin composition, or letters
    DIGITS = "digits"  # phone numbers, amounts
    ID_NUMBER = "id_number"  # digits and X
    DATE = "date"  # digits and -


# -- pinyin ------------------------------------------------------------------------------

def _plain(reading: str) -> str:
    """zhāng → zhang, lǜ → lv."""
    text = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _in_gbk(text: str) -> bool:
    # The approval systems and the GBK receipt printer carry GBK; rarer characters are
    # not offered (a resident with a 生僻字 in a name has it prefilled from the card).
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Candidate:
    text: str
    consumes: int  # letters of the composition it replaces


class PinyinDictionary:
    """Syllable → characters and full pinyin → phrases, ranked (see the module doc)."""

    def __init__(self) -> None:
        from pypinyin.phrases_dict import phrases_dict
        from pypinyin.pinyin_dict import pinyin_dict

        cache: dict[str, str] = {}

        def plain(reading: str) -> str:
            value = cache.get(reading)
            if value is None:
                value = cache[reading] = _plain(reading)
            return value

        usage: collections.Counter[tuple[str, str]] = collections.Counter()
        phrases: dict[str, list[str]] = collections.defaultdict(list)
        for phrase, readings in phrases_dict.items():
            if len(readings) != len(phrase) or not _in_gbk(phrase):
                continue
            syllables = [plain(r[0]) for r in readings]
            for char, syllable in zip(phrase, syllables, strict=True):
                usage[(char, syllable)] += 1
            phrases["".join(syllables)].append(phrase)
        chars: dict[str, list[str]] = collections.defaultdict(list)
        for code_point, joined in pinyin_dict.items():
            char = chr(code_point)
            if not _in_gbk(char):
                continue
            for syllable in {plain(r) for r in joined.split(",")}:
                if syllable.isalpha():
                    chars[syllable].append(char)
        for syllable, found in chars.items():
            found.sort(key=lambda c, s=syllable: (-usage[(c, s)], c.encode("gbk")))  # type: ignore[misc]
        weight: collections.Counter[str] = collections.Counter()
        for (char, _syllable), n in usage.items():
            weight[char] += n
        # A phrase is common when other phrases contain it (北京 in 北京市, 北京大学…): rank
        # phrases by how often their character pairs occur inside all phrases.
        pairs: collections.Counter[str] = collections.Counter()
        for phrase in phrases_dict:
            for i in range(len(phrase) - 1):
                pairs[phrase[i:i + 2]] += 1
        for found_phrases in phrases.values():
            found_phrases.sort(key=lambda p: -min(pairs[p[i:i + 2]] for i in range(len(p) - 1)))
        self._chars = dict(chars)
        self._phrases = dict(phrases)
        self.syllables = frozenset(chars)
        self._max_syllable = max(len(s) for s in self.syllables)
        self._usage = weight

    def first_syllable(self, letters: str) -> str:
        """The longest syllable the letters start with ('' if none)."""
        for n in range(min(len(letters), self._max_syllable), 0, -1):
            if letters[:n] in self.syllables:
                return letters[:n]
        return ""

    def candidates(self, letters: str, limit: int = 60) -> list[Candidate]:
        letters = letters.lower()
        if not letters:
            return []
        out: list[Candidate] = []
        seen: set[str] = set()

        def add(text: str, consumes: int) -> None:
            if text not in seen and len(out) < limit:
                seen.add(text)
                out.append(Candidate(text, consumes))

        # Whole phrases first (the longest prefix of what was typed that is one), then the
        # characters of the first syllable.
        for n in range(len(letters), 1, -1):
            for phrase in self._phrases.get(letters[:n], [])[:8]:
                add(phrase, n)
            if out:
                break
        first = self.first_syllable(letters)
        if first:
            for char in self._chars[first]:
                add(char, len(first))
        else:
            # An unfinished syllable ("zh"): the commonest characters of every syllable it begins.
            pool = {c for s in self.syllables if s.startswith(letters) for c in self._chars[s]}
            for char in sorted(pool, key=lambda c: (-self._usage[c], c.encode("gbk")))[:limit]:
                add(char, len(letters))
        return out


_dictionary: PinyinDictionary | None = None
_dictionary_lock = threading.Lock()


def pinyin_dictionary() -> PinyinDictionary:
    """The process's dictionary, built on first use (thread-safe: the warm-up may be
    running on a worker when the resident's first letter arrives)."""
    global _dictionary
    with _dictionary_lock:
        if _dictionary is None:
            _dictionary = PinyinDictionary()
        return _dictionary


Background = Callable[[Callable[[], Any], Callable[[Any, BaseException | None], None]], None]


def warm_up(background: Background) -> None:
    """Build the dictionary off the GUI thread (the work touches no widget)."""
    if _dictionary is None:
        background(pinyin_dictionary, lambda _result, _exc: None)


# -- the widget --------------------------------------------------------------------------

_LETTER_ROWS = ("abcdefg", "hijklmn", "opqrstu", "vwxyz")
_DIGIT_ROWS = ("123", "456", "789")
_PAGE = 6  # candidates on one page


class KeyboardPanel(QFrame):
    """One keyboard for a screen, attached to whichever field the resident tapped.

    Keys are buttons with intents `key:<char>`, `key:backspace`, `key:space`, `key:clear`,
    `key:hide`, `key:mode`, `key:pinyin`, and candidates `cand:<n>`, `cand:more`,
    `cand:less`, so tests and the tour press them like a finger would."""

    hidden_by_resident = Signal()
    opened = Signal(bool)  # shown (True) or hidden (False)

    def __init__(self, lang: Callable[[], str]) -> None:
        super().__init__()
        self.setObjectName("keyboard")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._lang = lang
        self.target: Target | None = None
        self.kind = KeyboardKind.SEARCH
        self.digits_mode = False
        self.pinyin = True
        self.composition = ""
        self._candidates: list[Candidate] = []
        self._page = 0
        self._metrics: theme.Metrics | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        outer.setSpacing(8)
        outer.addStretch(1)  # taller than its keys (beside a form): keys stay at the bottom, near the hands

        # Composition row: the pinyin typed so far and the characters it could be.
        self.compose_row = QWidget()
        compose = QHBoxLayout(self.compose_row)
        compose.setContentsMargins(0, 0, 0, 0)
        compose.setSpacing(6)
        self.compose_label = make_label("compose", wrap=False)
        self.compose_label.setMinimumWidth(120)
        compose.addWidget(self.compose_label)
        self.less = self._key("cand:less", "kbd.less", compose)
        self.candidate_buttons = [self._key(f"cand:{i}", "", compose) for i in range(_PAGE)]
        for button in self.candidate_buttons:
            button.setObjectName("candidate")
        self.more = self._key("cand:more", "kbd.more", compose)
        compose.addStretch(1)
        outer.addWidget(self.compose_row)

        # Letters.
        self.letters = QWidget()
        grid = QGridLayout(self.letters)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        for r, letters in enumerate(_LETTER_ROWS):
            for c, letter in enumerate(letters):
                grid.addWidget(self._key(f"key:{letter}", letter.upper()), r, c)
        grid.addWidget(self._key("key:backspace", "kbd.backspace"), 3, 5, 1, 2)
        for c in range(7):
            grid.setColumnStretch(c, 1)
        outer.addWidget(self.letters)

        # Digits: the telephone layout, not wider than a hand.
        self.digits = QWidget()
        self.digits.setMaximumWidth(900)
        pad = QGridLayout(self.digits)
        pad.setContentsMargins(0, 0, 0, 0)
        pad.setSpacing(6)
        for r, digits in enumerate(_DIGIT_ROWS):
            for c, digit in enumerate(digits):
                pad.addWidget(self._key(f"key:{digit}", digit), r, c)
        self.extra_key = self._key("key:x", "X")  # X for ID numbers, - for dates
        pad.addWidget(self.extra_key, 3, 0)
        pad.addWidget(self._key("key:0", "0"), 3, 1)
        pad.addWidget(self._key("key:backspace", "kbd.backspace"), 3, 2)
        digits_holder = QHBoxLayout()
        digits_holder.setContentsMargins(0, 0, 0, 0)
        digits_holder.addStretch(1)
        digits_holder.addWidget(self.digits, 6)
        digits_holder.addStretch(1)
        outer.addLayout(digits_holder)

        # The last row: what changes the keyboard rather than the text.
        bottom = QHBoxLayout()
        bottom.setSpacing(6)
        self.mode_button = self._key("key:mode", "kbd.to_digits")
        self.pinyin_button = self._key("key:pinyin", "kbd.pinyin_off")
        self.space = self._key("key:space", "kbd.space")
        self.clear_button = self._key("key:clear", "kbd.clear")
        self.hide_button = self._key("key:hide", "kbd.hide")
        for button, stretch in ((self.mode_button, 2), (self.pinyin_button, 2), (self.space, 3),
                                (self.clear_button, 2), (self.hide_button, 2)):
            button.setObjectName("fkey")
            bottom.addWidget(button, stretch)
        outer.addLayout(bottom)
        self._layout_mode()

    def _key(self, intent: str, label: str, layout: QHBoxLayout | None = None) -> QPushButton:
        button = make_button(intent, role="key")
        button.setProperty("label_key", label)
        button.setText(label if not label.startswith("kbd.") else "")
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.clicked.connect(lambda _=False, name=intent: self._clicked(name))
        if layout is not None:
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            layout.addWidget(button)
        return button

    # -- attaching -------------------------------------------------------------------------
    def attach(self, target: Target, kind: KeyboardKind) -> None:
        if target is not self.target:
            self._commit_composition()
        self.target = target
        self.kind = kind
        self.digits_mode = kind in (KeyboardKind.DIGITS, KeyboardKind.ID_NUMBER, KeyboardKind.DATE)
        self.pinyin = kind is KeyboardKind.TEXT and self._lang() == "zh"
        self.refresh()
        if not self.isVisible():
            self.show()
            self.opened.emit(True)

    def detach(self) -> None:
        self._commit_composition()
        self.target = None
        if not self.isHidden():
            self.hide()
            self.opened.emit(False)

    # -- pressing --------------------------------------------------------------------------
    def _clicked(self, intent: str) -> None:
        name = intent.split(":", 1)[1]
        if intent.startswith("cand:"):
            self.choose(name)
        else:
            self.press(name)

    def press(self, key: str) -> None:
        """One key: a letter or digit, or backspace, space, clear, hide, mode, pinyin."""
        if key == "hide":
            self.detach()
            self.hidden_by_resident.emit()
            return
        if key == "mode":
            self._commit_composition()
            self.digits_mode = not self.digits_mode
            self.refresh()
            return
        if key == "pinyin":
            self._commit_composition()
            self.pinyin = not self.pinyin
            self.refresh()
            return
        target = self.target
        if target is None:
            return
        if key == "backspace":
            if self.composition:
                self._set_composition(self.composition[:-1])
            elif isinstance(target, QLineEdit):
                target.backspace()
            else:
                target.textCursor().deletePreviousChar()
            return
        if key == "clear":
            self._set_composition("")
            target.clear()
            return
        if key == "space":
            if self.composition:
                self.choose("0") if self._candidates else self._commit_composition()
            else:
                self._insert(" ")
            return
        if key == "x" and self.digits_mode:
            self._insert("X" if self.kind is KeyboardKind.ID_NUMBER else "-")
            return
        if len(key) == 1 and key.isalpha() and self.pinyin and not self.digits_mode:
            self._set_composition(self.composition + key)
            return
        if len(key) == 1:
            self._commit_composition()
            self._insert(key)

    def type_text(self, text: str) -> None:
        """Press the keys for `text` (letters, digits, space, X, -), switching between
        the letter and digit layouts as a resident would."""
        for char in text:
            if char == " ":
                self.press("space")
                continue
            wants_digits = char.isdigit() or (char in "xX-" and self.kind in (KeyboardKind.ID_NUMBER, KeyboardKind.DATE))
            if wants_digits != self.digits_mode and (char.isalnum() or char == "-"):
                self.press("mode")
            if char == "-":
                self.press("x")
            else:
                self.press(char.lower())

    def choose(self, which: str) -> None:
        """A candidate by its index on the current page, or `more` / `less`."""
        if which == "more":
            if (self._page + 1) * _PAGE < len(self._candidates):
                self._page += 1
            self._render_candidates()
            return
        if which == "less":
            self._page = max(0, self._page - 1)
            self._render_candidates()
            return
        index = self._page * _PAGE + int(which)
        if index >= len(self._candidates):
            return
        candidate = self._candidates[index]
        rest = self.composition[candidate.consumes:]
        self._insert(candidate.text)
        self._set_composition(rest)

    def _insert(self, text: str) -> None:
        target = self.target
        if isinstance(target, QLineEdit):
            target.insert(text)
        elif isinstance(target, QPlainTextEdit):
            target.insertPlainText(text)

    def _commit_composition(self) -> None:
        """Letters still being composed go into the field as letters."""
        if self.composition:
            letters = self.composition
            self._set_composition("")
            self._insert(letters)

    def _set_composition(self, letters: str) -> None:
        self.composition = letters
        self._candidates = pinyin_dictionary().candidates(letters) if letters else []
        self._page = 0
        self._render_candidates()

    # -- rendering -------------------------------------------------------------------------
    def apply_metrics(self, m: theme.Metrics) -> None:
        if m == self._metrics:
            return
        self._metrics = m
        key_h = m.target_px
        self.setStyleSheet(f"""
            QFrame#keyboard {{ background: #dfe6ee; border-top: 2px solid #b8c4d0; }}
            QPushButton#key, QPushButton#candidate, QPushButton#fkey {{
                min-height: {key_h}px; max-height: {key_h}px; min-width: 0px;
                padding: 0px 8px; background: {theme.PAPER}; color: {theme.INK};
                border: 2px solid #9aa8b6; border-radius: 10px; font-size: {m.body_px}px;
            }}
            QPushButton#candidate {{ font-size: {m.title_px}px; min-width: {key_h}px; color: {theme.BAND}; }}
            QPushButton#fkey {{ background: #f0f3f6; padding: 0px 4px; }}
            QPushButton#key:pressed, QPushButton#candidate:pressed, QPushButton#fkey:pressed {{ background: {theme.SOFT}; }}
            QLabel#compose {{ font-size: {m.body_px}px; color: {theme.BAND}; font-weight: bold; }}
        """)
        for button in self.findChildren(QPushButton):
            button.setFixedHeight(key_h)
        for button in (*self.candidate_buttons, self.less, self.more):
            button.setMinimumWidth(key_h)
        self._layout_mode()

    def refresh(self) -> None:
        """Texts in the current language, and the layout of the current mode."""
        lang = self._lang()
        from kiosk.strings import t

        for button in self.findChildren(QPushButton):
            key = button.property("label_key")
            if isinstance(key, str) and key.startswith("kbd."):
                button.setText(t(key, lang))
        self.pinyin_button.setText(t("kbd.pinyin_off" if self.pinyin else "kbd.pinyin_on", lang))
        if not self.digits_mode:
            self.mode_button.setText(t("kbd.to_digits", lang))
        else:
            self.mode_button.setText(t("kbd.to_pinyin" if self.pinyin else "kbd.to_letters", lang))
        self.extra_key.setText("X" if self.kind is KeyboardKind.ID_NUMBER else "-")
        self._layout_mode()
        self._render_candidates()

    def _layout_mode(self) -> None:
        self.letters.setVisible(not self.digits_mode)
        self.digits.setVisible(self.digits_mode)
        self.extra_key.setVisible(self.kind in (KeyboardKind.ID_NUMBER, KeyboardKind.DATE))
        # Digit-only fields never need letters; search and text can switch.
        self.mode_button.setVisible(self.kind in (KeyboardKind.SEARCH, KeyboardKind.TEXT))
        self.pinyin_button.setVisible(self.kind is KeyboardKind.TEXT and not self.digits_mode)
        self.space.setVisible(self.kind is KeyboardKind.TEXT and not self.digits_mode)
        self.compose_row.setVisible(self.kind in (KeyboardKind.TEXT, KeyboardKind.SEARCH) and not self.digits_mode)

    def _render_candidates(self) -> None:
        from kiosk.strings import t

        lang = self._lang()
        if self.kind is KeyboardKind.SEARCH:
            self.compose_label.setText(t("kbd.search_hint", lang))
        elif not self.pinyin:
            self.compose_label.setText("")
        else:
            self.compose_label.setText(self.composition or t("kbd.compose_hint", lang))
        page = self._candidates[self._page * _PAGE:(self._page + 1) * _PAGE]
        for i, button in enumerate(self.candidate_buttons):
            if i < len(page):
                button.setText(page[i].text)
                button.show()
            else:
                button.hide()
        self.less.setVisible(self._page > 0)
        self.more.setVisible((self._page + 1) * _PAGE < len(self._candidates))

    @property
    def candidates(self) -> list[str]:
        """The candidates on the current page, as shown."""
        return [c.text for c in self._candidates[self._page * _PAGE:(self._page + 1) * _PAGE]]


class FieldTapFilter(QObject):
    """Attaches the keyboard when the resident taps a field (install it on a
    QPlainTextEdit's viewport too: that is what receives the tap)."""

    def __init__(self, keyboard: KeyboardPanel, kinds: Mapping[QObject, KeyboardKind],
                 on_attach: Callable[[Any], None] | None = None) -> None:
        super().__init__(keyboard)
        self._keyboard = keyboard
        self._kinds = kinds
        self._on_attach = on_attach

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress:
            target = watched
            if isinstance(watched, QWidget) and not isinstance(watched, QLineEdit | QPlainTextEdit):
                parent = watched.parentWidget()  # a QPlainTextEdit's viewport
                target = parent if parent is not None else watched
            kind = self._kinds.get(target)
            if (kind is not None and isinstance(target, QLineEdit | QPlainTextEdit)
                    and (self._keyboard.target is not target or not self._keyboard.isVisible())):
                    self._keyboard.attach(target, kind)
                    if self._on_attach is not None:
                        self._on_attach(target)
        return False
