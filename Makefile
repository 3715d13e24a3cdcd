# Two commands a newcomer needs: `make run` and `make test`. Each one creates .venv,
# installs what is missing (Debian packages too, when run as root) and is safe to run
# twice. Versions are pinned in constraints/constraints.txt (no lock file naming an
# index host).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSSTAMP := $(VENV)/.system-packages
# libzbar0: pyzbar's shared library. fonts-noto-cjk: Hanzi on screen and in receipt
# previews; fonts-wqy-zenhei: a TrueType CJK font reportlab can embed in PDFs.
# The rest are what Qt's xcb/offscreen/eglfs platforms load at run time.
DEBS := libzbar0 fonts-noto-cjk fonts-wqy-zenhei libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 \
        libfontconfig1 libdbus-1-3 libglib2.0-0 libxcb-cursor0 libxcb-icccm4 \
        libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-image0 \
        libxcb-render-util0 xvfb
export QT_QPA_PLATFORM ?=
.PHONY: run test install bench tour lint system venv clean

$(SYSSTAMP):
	@mkdir -p $(VENV)
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian packages: $$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "Missing system packages. As root run:"; \
	  echo "  apt-get install -y $$missing"; exit 1; \
	fi
	@touch $@

$(STAMP): pyproject.toml constraints/constraints.txt | $(SYSSTAMP)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	@$(BIN)/python -m pip install -q -c constraints/constraints.txt -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
	@$(BIN)/python -c 'import kiosk, PySide6, cv2, zxingcpp, serial' 
	@touch $@

venv: $(STAMP)
install: $(STAMP)
	@echo "installed: $(BIN)/kiosk (see README, 'Installing on a terminal', for kiosk.service)"

# The kiosk with a simulated hall: every device simulated, the reference platform on
# loopback. Without a display it says so and writes the tour's screenshots instead.
run: $(STAMP)
	@$(BIN)/python -m kiosk.devrun

test: $(STAMP)
	$(BIN)/ruff check kiosk drivers screens offline_queue tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -x -q

bench: $(STAMP)
	@for f in bench/bench_*.py; do echo "== $$f"; QT_QPA_PLATFORM=offscreen $(BIN)/python $$f || exit 1; done

# Every scenario in tours/, offscreen, against the local reference platform (as `make
# run` does without a display): PNGs and summary.json under ./tour/<scenario>/.
tour: $(STAMP)
	@env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM= $(BIN)/python -m kiosk.devrun

clean:
	rm -rf $(VENV) tour build *.egg-info
