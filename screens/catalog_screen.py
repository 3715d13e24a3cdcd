"""Choosing a service item (选择事项): categories as big tiles, the items of the
chosen category as big tiles, and a search that finds items by name, 常用称呼 and
pinyin initials (kiosk.search) typed on the on-screen letter keyboard.

Every item stays tappable, so a resident can read its 一次性告知 guide; items this
resident cannot apply for here say why on the tile (kiosk.eligibility), and the guide
does not let them start. Counter-only items say where to go.

The module also holds what the application screens share (catalog access, wrapping
tiles, the step header and their stylesheet).
"""

from __future__ import annotations

import datetime as dt
import weakref

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk import eligibility
from kiosk.catalog import Catalog, CatalogItem, category_label, sample_catalog
from kiosk.strings import register, t
from kiosk.terminal import Terminal
from kiosk.visit import Step, Visit
from screens import theme
from screens.base import Screen, clear_layout, make_button, make_label
from screens.keyboard import FieldTapFilter, KeyboardKind, KeyboardPanel

register({
    "app.step": ("第 {n} 步，共 {total} 步", "Step {n} of {total}"),
    "catalog.title": ("请选择要办理的事项", "Choose a service"),
    "catalog.hint": ("点下面的分类查看事项；也可以点搜索框，输入事项名称的拼音首字母。",
                     "Tap a category below, or tap the search box and type the first letters of the name in pinyin."),
    "catalog.search_placeholder": ("搜索：如 wfzjl 或 良民证", "Search: e.g. wfzjl"),
    "catalog.search_clear": ("清除", "Clear"),
    "catalog.in_category": ("{category}：共 {n} 项", "{category}: {n} service(s)"),
    "catalog.found": ("找到 {n} 个事项", "{n} service(s) found"),
    "catalog.not_found": ("没有找到“{query}”。请少输几个字母，或点上面的分类查找；也可以点右上角“呼叫工作人员”。",
                          "Nothing found for '{query}'. Try fewer letters, or tap a category above; you can also call staff (top right)."),
    "catalog.empty": ("本机暂时没有可办理的事项，请到人工窗口办理。",
                      "No services are available at this kiosk right now. Please go to a service counter."),
    "catalog.open": ("查看 ›", "View ›"),
    "catalog.counter_only": ("本机不能办理，请到窗口：{department}", "Not at this kiosk. Please go to: {department}"),
    "catalog.not_eligible": ("本机不能为您办理：{reason}", "You cannot apply here: {reason}"),
    "app.days": ("{n} 个工作日", "{n} working day(s)"),
    "app.at_once": ("即办（当场办结）", "Decided at once"),
    "app.time_limit": ("承诺时限：{value}", "Promised time: {value}"),
    "app.free": ("免费", "Free"),
    "app.fee": ("{yuan} 元", "CNY {yuan}"),
    "app.delivery.pickup": ("窗口自取", "Collect at the counter"),
    "app.delivery.express": ("免费邮寄", "Free delivery by post"),
    "app.delivery.electronic": ("电子证照", "Electronic certificate"),
    "app.pages": ("{n} 页", "{n} page(s)"),
    "app.card_sides": ("正反两面", "front and back"),
    "app.card_count": ("{n} 张", "{n} card(s)"),
    "app.required": ("必交", "Required"),
    "app.optional": ("选交", "Optional"),
    "app.deferrable": ("可容缺后补", "May follow later"),
    "app.next": ("下一步", "Next"),
})

APPLICATION_STEPS: tuple[Step, ...] = (
    Step.CATALOG, Step.GUIDE, Step.COMMITMENT, Step.FORM, Step.MATERIALS, Step.DELIVERY, Step.REVIEW,
)

# Softer colours of the application screens, each pair checked for contrast ≥ 4.5:1
# in tests/screens/test_application_screens.py.
CHOSEN = "#e3eef9"  # a chosen option's background (BAND and INK on it)
PANEL = "#f5f8fb"  # section cards (INK and MUTED on it)
OK_BG = "#e8f5ec"  # the green verdict box (OK on it)
CONTRAST_PAIRS = ((theme.BAND, CHOSEN), (theme.INK, CHOSEN), (theme.INK, PANEL), (theme.MUTED, PANEL),
                  (theme.OK, OK_BG), (theme.MUTED, theme.SOFT), (theme.ALERT, theme.SOFT), (theme.BAND, theme.SOFT))


# -- what the application screens share -------------------------------------------------

def catalog_of(terminal: Terminal) -> Catalog:
    """The terminal's catalog; the bundled sample until the terminal has one."""
    catalog: Catalog | None = getattr(terminal, "catalog", None)
    return catalog if catalog is not None else sample_catalog()


def current_item(terminal: Terminal) -> CatalogItem | None:
    code = terminal.machine.visit.item_code
    return catalog_of(terminal).get(code) if code else None


def today_of(terminal: Terminal) -> dt.date:
    today = getattr(terminal, "today", None)
    if callable(today):
        value = today()
        if isinstance(value, dt.date):
            return value
    return dt.datetime.now().astimezone().date()


def eligibility_of(terminal: Terminal, item: CatalogItem) -> eligibility.EligibilityResult:
    return eligibility.check(item, terminal.machine.visit.identity, today_of(terminal))


def fee_text(fee_fen: int, lang: str) -> str:
    """Fen to 元 as a resident says it: 0 → 免费, 1500 → 15 元, 1250 → 12.50 元."""
    if fee_fen <= 0:
        return t("app.free", lang)
    yuan = f"{fee_fen // 100}" if fee_fen % 100 == 0 else f"{fee_fen / 100:.2f}"
    return t("app.fee", lang, yuan=yuan)


def time_limit_text(days: int, lang: str) -> str:
    return t("app.at_once", lang) if days == 0 else t("app.days", lang, n=days)


def page_count_text(min_pages: int, max_pages: int, sides: int, lang: str) -> str:
    """1–2 页; a card (sides 2) is photographed front and back: 正反两面."""
    n = f"{min_pages}" if min_pages == max_pages else f"{min_pages}–{max_pages}"
    if sides == 2:
        return t("app.card_sides", lang) if max_pages == 1 else f"{t('app.card_sides', lang)} · {t('app.card_count', lang, n=n)}"
    return t("app.pages", lang, n=n)


def repolish(widget: QWidget) -> None:
    """Re-apply the stylesheet after an objectName or dynamic property changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


def application_stylesheet(m: theme.Metrics) -> str:
    """Roles of the application screens, on top of the window's theme stylesheet."""
    emphasis = m.body_px + (6 if m.scale == 1.0 else 9)
    return f"""
    QLabel#caption {{ font-size: {m.small_px}px; color: {theme.BAND}; font-weight: bold; }}
    QLabel#section {{ font-size: {emphasis}px; font-weight: bold; color: {theme.BAND}; }}
    QLabel#tile_title {{ font-size: {emphasis}px; font-weight: bold; }}
    QLabel#tile_sub, QLabel#fact_name, QLabel#field_note {{ font-size: {m.small_px}px; color: {theme.MUTED}; }}
    QLabel#tile_alert {{ font-size: {m.small_px}px; color: {theme.ALERT}; font-weight: bold; }}
    QLabel#tile_go {{ font-size: {m.small_px}px; color: {theme.BAND}; font-weight: bold; }}
    QLabel#fact_value {{ font-size: {emphasis}px; font-weight: bold; }}
    QLabel#field_label {{ font-weight: bold; }}
    QLabel#required_tag {{ font-size: {m.small_px}px; color: {theme.ALERT}; font-weight: bold; }}
    QLabel#field_error {{ color: {theme.ALERT}; background: {theme.ALERT_BG}; padding: 8px 12px; border-radius: 8px; }}
    QLabel#verdict_ok {{ color: {theme.OK}; background: {OK_BG}; padding: 16px; border-radius: 10px; font-weight: bold; }}
    QLabel#body {{ line-height: 150%; }}
    QFrame#panel {{ background: {PANEL}; border: 1px solid #d0dae4; border-radius: 14px; }}
    QFrame#panel QLabel {{ background: transparent; }}
    QPushButton#tile {{ padding: 0px; }}
    QPushButton#choice {{
        background: {theme.PAPER}; border: 2px solid #8a99a8; border-radius: 12px; padding: 0px; color: {theme.INK};
    }}
    QPushButton#choice:checked {{ background: {CHOSEN}; border: 4px solid {theme.BAND}; }}
    QPushButton#choice QLabel, QPushButton#tile QLabel {{ background: transparent; }}
    QPushButton#link {{ font-size: {m.small_px}px; padding: 4px 20px; }}
    QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"] {{ border: 3px solid {theme.ALERT}; }}
    QPlainTextEdit {{ font-size: {m.body_px}px; }}
    QScrollArea, QScrollArea > QWidget > QWidget#page {{ background: {theme.PAPER}; border: none; }}
    """


class WrapButton(QPushButton):
    """A big touch target whose text wraps: labels laid out inside a QPushButton (a
    plain QPushButton never wraps, and English names run long). The tour finds it by
    its `intent` like any button."""

    def __init__(self, intent: str, *, role: str = "tile", checkable: bool = False) -> None:
        super().__init__()
        self.setObjectName(role)
        self.setProperty("intent", intent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setCheckable(checkable)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(28, 18, 28, 18)
        self.box.setSpacing(6)
        self.min_height = theme.NORMAL.target_px

    def add_line(self, role: str, *, center: bool = False) -> QLabel:
        label = make_label(role, center=center)
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.box.addWidget(label)
        return label

    def add_row(self, left: QWidget, right: QWidget) -> None:
        line = QHBoxLayout()
        line.setSpacing(16)
        line.addWidget(left, 1)
        line.addWidget(right, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        right.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        left.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.box.addLayout(line)

    def set_min_height(self, px: int) -> None:
        self.min_height = px
        self.updateGeometry()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return max(self.min_height, self.box.totalHeightForWidth(width))

    def sizeHint(self) -> QSize:
        hint = self.box.totalSizeHint()
        width = max(hint.width(), 200)
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        return QSize(self.min_height, self.min_height)


class StepHeader(QWidget):
    """'Step 3 of 7' over the screen's title: residents see how far they have come."""

    def __init__(self, step: Step) -> None:
        super().__init__()
        self._step = step
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.caption = make_label("caption")
        self.title = make_label("title")
        layout.addWidget(self.caption)
        layout.addWidget(self.title)

    def set_texts(self, lang: str, title: str) -> None:
        n = APPLICATION_STEPS.index(self._step) + 1
        self.caption.setText(t("app.step", lang, n=n, total=len(APPLICATION_STEPS)))
        self.title.setText(title)


def scroll_page() -> tuple[QScrollArea, QWidget, QVBoxLayout]:
    """A vertically scrolling page whose content is as wide as the screen."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    page = QWidget()
    page.setObjectName("page")
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 12, 0)
    layout.setSpacing(theme.NORMAL.gap_px)
    scroll.setWidget(page)
    return scroll, page, layout


def reveal(container: QWidget) -> None:
    """Show at once the children just added to a shown container. (A layout shows them
    only on the next turn of the event loop, so a tap or a find_intent right after a
    rebuild would miss them.) Children hidden on purpose stay hidden."""
    for child in container.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if not child.testAttribute(Qt.WidgetAttribute.WA_WState_ExplicitShowHide):
            child.show()


class ApplicationScreen(Screen):
    """A Screen with the application screens' stylesheet, kept in step with elderly mode."""

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self._styled_for: theme.Metrics | None = None

    @property
    def m(self) -> theme.Metrics:
        return theme.metrics(self.elderly)

    def apply_style(self) -> bool:
        """True when the metrics changed (elderly mode toggled) since the last call."""
        m = self.m
        if m == self._styled_for:
            return False
        self._styled_for = m
        self.setStyleSheet(application_stylesheet(m))
        self.layout_.setSpacing(m.gap_px)
        column = getattr(self, "_column", None)
        if isinstance(column, QVBoxLayout):
            column.setSpacing(m.gap_px)
        return True

    @property
    def landscape(self) -> bool:
        """The panel's orientation: the window's, so pages not shown yet agree with it
        (the window's stack asks every page for its minimum size)."""
        top = self.window()
        size = top.size() if top is not self else self.size()
        return size.width() > size.height() * 1.1

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ParentChange:
            top = self.window()
            if top is not self:
                top.installEventFilter(self)  # follow the window's resizes while hidden too
        return super().event(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.window():
            self.arrange()
        return False

    def dock(self, side: QWidget) -> QVBoxLayout:
        """Everything else goes into the returned column; `side` (a keyboard, the signing
        area) sits under it on a portrait panel and beside it, full height, on a
        landscape one."""
        column_widget = QWidget()
        column = QVBoxLayout(column_widget)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(theme.NORMAL.gap_px)
        self._column = column
        self._side = side
        self._split = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._split.setSpacing(theme.NORMAL.gap_px)
        self._split.addWidget(column_widget, 3)
        self._split.addWidget(side, 0)
        self.layout_.addLayout(self._split, 1)
        return column

    def arrange(self) -> None:
        split = getattr(self, "_split", None)
        if not isinstance(split, QBoxLayout):
            return
        direction = QBoxLayout.Direction.LeftToRight if self.landscape else QBoxLayout.Direction.TopToBottom
        if split.direction() != direction:
            split.setDirection(direction)
            split.setStretch(1, 2 if self.landscape else 0)
        self._side.setMaximumWidth(self.window().width() // 2 if self.landscape else 16777215)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.arrange()


# -- the catalog screen ----------------------------------------------------------------

class CatalogScreen(ApplicationScreen):
    step = Step.CATALOG

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.header = StepHeader(self.step)
        self.hint = make_label("hint")
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.search.setClearButtonEnabled(False)
        self.search.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.search.textChanged.connect(self._query_changed)
        self.search_clear = make_button("search_clear")
        self.search_clear.clicked.connect(self.clear_search)
        search_row = QHBoxLayout()
        search_row.setSpacing(12)
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.search_clear)

        self.categories = QWidget()
        self.categories_box = QVBoxLayout(self.categories)
        self.categories_box.setContentsMargins(0, 0, 0, 0)
        self.category_buttons: dict[str, WrapButton] = {}

        self.list_header = make_label("section")
        self.scroller, self.page, self.tiles = scroll_page()
        self.tile_buttons: dict[str, WrapButton] = {}
        self.empty = make_label("hint")

        self.keyboard = KeyboardPanel(lambda: self.lang)
        self.keyboard.hide()
        self.keyboard.opened.connect(self._keyboard_opened)
        self._tap = FieldTapFilter(self.keyboard, {self.search: KeyboardKind.SEARCH})
        self.search.installEventFilter(self._tap)

        column = self.dock(self.keyboard)
        column.addWidget(self.header)
        column.addWidget(self.hint)
        column.addLayout(search_row)
        column.addWidget(self.categories)
        column.addWidget(self.list_header)
        column.addWidget(self.scroller, 1)

        self.category: str | None = None
        self._built: tuple[object, ...] | None = None
        self._visit_seen: weakref.ReferenceType[Visit] | None = None
        self._columns = 0

    # -- intents ---------------------------------------------------------------------------
    def choose_category(self, category: str) -> None:
        self.category = category
        if self.search.text():
            self.search.clear()  # rebuilds through _query_changed
        else:
            self._rebuild(force=True)

    def clear_search(self) -> None:
        self.search.clear()

    def open_keyboard(self) -> None:
        self.keyboard.attach(self.search, KeyboardKind.SEARCH)

    def _keyboard_opened(self, shown: bool) -> None:
        # Typing: the keyboard takes the room of the hint and the categories (and, on a
        # landscape panel, half the width: one column of tiles then).
        self.hint.setVisible(not shown and not (self.landscape and self.elderly))
        self.categories.setVisible(not shown)
        if self._columns and self._columns != self._tile_columns():
            self._rebuild(force=True)

    def _query_changed(self, _text: str) -> None:
        self._rebuild(force=True)

    def _choose_item(self, code: str) -> None:
        self.keyboard.detach()
        self.terminal.machine.choose_item(code)

    # -- rendering -------------------------------------------------------------------------
    def entered(self) -> None:
        visit = self.terminal.machine.visit
        seen = self._visit_seen() if self._visit_seen is not None else None
        if visit is not seen:
            # A new visit starts from the first category with an empty search.
            self._visit_seen = weakref.ref(visit)  # weak: an ended visit's data must not linger
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
            self.category = None
            self.keyboard.detach()
            self.scroller.verticalScrollBar().setValue(0)
        self._rebuild(force=True)

    def left(self) -> None:
        # Tiles may say the resident's age (eligibility); nothing of a visit stays behind.
        self.keyboard.detach()
        clear_layout(self.tiles)
        self.tile_buttons = {}
        self._built = None

    def refresh(self) -> None:  # Screen.render, not QWidget.render
        lang = self.lang
        m = self.m
        self.apply_style()
        self.header.set_texts(lang, self.t("catalog.title"))
        self.hint.setText(self.t("catalog.hint"))
        # Large text on a landscape panel: no room for the hint (the search box says it too).
        self.hint.setVisible(not self.keyboard.isVisible() and not (self.landscape and self.elderly))
        self.scroller.setMinimumHeight(m.target_px)
        self.search.setPlaceholderText(self.t("catalog.search_placeholder"))
        self.search_clear.setText(self.t("catalog.search_clear"))
        self.keyboard.apply_metrics(m)
        self.keyboard.refresh()
        self._rebuild()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._columns and self._columns != self._tile_columns():
            self._rebuild(force=True)

    def _tile_columns(self) -> int:
        return 2 if self.landscape and self.keyboard.isHidden() else 1

    def _rebuild(self, *, force: bool = False) -> None:
        catalog = catalog_of(self.terminal)
        query = self.search.text().strip()
        if self.category is None or self.category not in catalog.categories:
            self.category = catalog.categories[0] if catalog.categories else None
        key = (self.lang, self.elderly, self.category, query, id(catalog), id(self.terminal.machine.visit.identity))
        if key == self._built and not force:
            return
        self._built = key
        self._build_categories(catalog, query)
        self._build_tiles(catalog, query)
        reveal(self.categories)
        reveal(self.page)

    def _build_categories(self, catalog: Catalog, query: str) -> None:
        clear_layout(self.categories_box)
        self.category_buttons = {}
        holder = QWidget()
        grid = QGridLayout(holder)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(12)
        m = self.m
        wide = 7 if self.landscape else 4
        columns = wide - (1 if self.elderly else 0) - (1 if self.lang == "en" else 0)
        for i, category in enumerate(catalog.categories):
            button = WrapButton(f"category:{category}", role="choice", checkable=True)
            label = button.add_line("", center=True)
            label.setText(category_label(category, self.lang))
            button.box.setContentsMargins(8, 8, 8, 8)
            button.set_min_height(m.target_px)
            button.setChecked(not query and category == self.category)
            button.clicked.connect(lambda _=False, c=category: self.choose_category(c))
            grid.addWidget(button, i // columns, i % columns)
            self.category_buttons[category] = button
        for c in range(columns):
            grid.setColumnStretch(c, 1)
        self.categories_box.addWidget(holder)

    def _build_tiles(self, catalog: Catalog, query: str) -> None:
        clear_layout(self.tiles)
        self.tile_buttons = {}
        lang = self.lang
        if query:
            items = [hit.item for hit in catalog.search(query, limit=None)]
            self.list_header.setText(self.t("catalog.found", n=len(items)) if items else "")
        elif self.category is not None:
            items = list(catalog.items_in(self.category))
            self.list_header.setText(self.t("catalog.in_category", category=category_label(self.category, lang),
                                             n=len(items)))
        else:
            items = []
            self.list_header.setText("")
        self._columns = self._tile_columns()
        holder = QWidget()
        grid = QGridLayout(holder)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(16)
        for i, item in enumerate(items):
            tile = self._tile(item)
            grid.addWidget(tile, i // self._columns, i % self._columns)
            self.tile_buttons[item.code] = tile
        for c in range(self._columns):
            grid.setColumnStretch(c, 1)
        self.tiles.addWidget(holder)
        if not items:
            empty = make_label("hint")
            empty.setText(self.t("catalog.not_found", query=query) if query else self.t("catalog.empty"))
            self.tiles.addWidget(empty)
        self.tiles.addStretch(1)

    def _tile(self, item: CatalogItem) -> WrapButton:
        lang = self.lang
        tile = WrapButton(f"item:{item.code}")
        tile.set_min_height(self.m.target_px * 2)
        name = make_label("tile_title")
        name.setText(item.name.get(lang))
        go = make_label("tile_go", wrap=False)
        go.setText(self.t("catalog.open"))
        tile.add_row(name, go)
        department = tile.add_line("tile_sub")
        department.setText(item.department.get(lang))
        facts = tile.add_line("tile_sub")
        facts.setText(f"{self.t('app.time_limit', value=time_limit_text(item.time_limit_days, lang))}"
                      f"  ·  {fee_text(item.fee_fen, lang)}")
        verdict = eligibility_of(self.terminal, item)
        if not verdict.ok:
            alert = tile.add_line("tile_alert")
            if item.counter_only:
                alert.setText(self.t("catalog.counter_only", department=item.department.get(lang)))
            else:
                alert.setText(self.t("catalog.not_eligible", reason=verdict.message.get(lang)))
        tile.setProperty("eligible", verdict.ok)
        tile.clicked.connect(lambda _=False, code=item.code: self._choose_item(code))
        return tile

    # -- for the tour and tests ------------------------------------------------------------
    def tile_for(self, code: str) -> WrapButton | None:
        return self.tile_buttons.get(code)

