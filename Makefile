# Two commands matter: `make run` and `make test`. Both work on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

# What Qt (xcb + offscreen + Multimedia), the tests (speech, PDF pages, a virtual screen)
# and the PDF fonts need from the system.
SYSTEM_PACKAGES := libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
	libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 \
	libxcb-randr0 libxcb-render-util0 libxcb-image0 libnss3 libpulse0 libasound2 \
	fonts-dejavu-core fonts-droid-fallback espeak-ng poppler-utils xvfb postgresql

.PHONY: run test lint sysdeps venv venv-test bench screenshots package package-test clean

run: sysdeps venv
	$(VENV)/bin/cuesheet gui

test: sysdeps venv-test
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

lint: venv-test
	$(VENV)/bin/ruff check cuesheet_app tests benchmarks

sysdeps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if ! $(PYTHON) -c 'import ensurepip' 2>/dev/null; then missing="$$missing python3-venv"; fi; \
	if [ -n "$$missing" ]; then \
		if ! command -v apt-get >/dev/null; then \
			echo "Please install the equivalents of:$$missing"; \
		elif [ "$$(id -u)" = 0 ]; then \
			echo "Installing system packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "Missing system packages. Run:"; \
			echo "  sudo apt-get install -y$$missing"; exit 1; \
		fi; \
	fi

$(VENV)/.stamp-run: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.stamp-test: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	touch $@ $(VENV)/.stamp-run

venv: $(VENV)/.stamp-run
venv-test: $(VENV)/.stamp-test

bench: venv-test
	$(PY) benchmarks/run_all.py

screenshots: sysdeps venv-test
	$(PY) packaging/make_screenshots.py

package: sysdeps venv-test
	$(PIP) install -q -e '.[package]'
	$(VENV)/bin/pyinstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/cuesheet.spec

package-test: venv-test
	$(PY) packaging/smoke_test.py dist/cuesheet

clean:
	rm -rf build dist .pytest_cache
