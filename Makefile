# The README's two commands: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
ADDR ?= 127.0.0.1:8000

.PHONY: demo test install system-deps lint format messages

demo: install
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	$(MANAGE) rundemo $(ADDR)

test: install system-deps
	$(PY) -m pytest

# Python packages into a virtual environment, translations compiled.
install: $(VENV)/.installed
	$(MANAGE) compilemessages --ignore=.venv -v0

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	@command -v msgfmt >/dev/null || bash .ci/system-packages gettext
	touch $@

# What the full test suite needs from the system: Chromium for the browser tests.
system-deps:
	@bash .ci/system-packages chromium gettext

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Refresh the Chinese catalogue after changing strings (then translate what is new).
messages:
	$(MANAGE) makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=tests --ignore=bench --no-obsolete
