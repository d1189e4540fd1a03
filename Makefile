# The README's two commands: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
ADDR ?= 127.0.0.1:8000
SANDBOX_VENV ?= .sandbox-venv
SANDBOX_BASE_PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)

.PHONY: demo test install system-deps lint format messages

# rundemo supervises the demo's own Redis (a unix socket under var/redis/, no TCP port),
# the portal, one Celery worker and beat; Ctrl-C stops them all.
# The demo runs with DEBUG off (DEMO=1: a secret key generated once into var/secret_key,
# cookies for plain HTTP) and its static files collected into var/static for whitenoise.
# Management commands need settings too, so install and messages get DEMO=1 as well; a
# deployment sets SECRET_KEY and never DEMO. DEBUG=1 is for development only.
demo install messages: export DEMO ?= 1
demo: install
	@bash .ci/system-packages bubblewrap redis-server
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput -v0
	$(MANAGE) seed_demo
	$(MANAGE) rundemo $(ADDR)

# Without CELERY_BROKER_URL the tests get a throwaway Redis on a unix socket of their
# own (tests/localredis_plugin.py); with it (CI: PostgreSQL and Redis), that broker.
test: install system-deps
	$(PY) -m pytest

# Python packages into a virtual environment, translations compiled; the sandbox's own
# environment for jobs (from the system's Python under /usr, which the sandbox mounts).
install: $(VENV)/.installed $(SANDBOX_VENV)/.installed
	$(MANAGE) compilemessages --ignore=.venv --ignore=.sandbox-venv -v0

$(SANDBOX_VENV)/.installed: pyproject.toml
	@$(SANDBOX_BASE_PYTHON) -c 'import ensurepip, venv' 2>/dev/null || bash .ci/system-packages python3-venv
	test -x $(SANDBOX_VENV)/bin/python || $(SANDBOX_BASE_PYTHON) -m venv $(SANDBOX_VENV)
	$(PY) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["sandbox"]))' > $(SANDBOX_VENV)/requirements.txt
	$(SANDBOX_VENV)/bin/python -m pip install -q -r $(SANDBOX_VENV)/requirements.txt
	touch $@

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	@command -v msgfmt >/dev/null || bash .ci/system-packages gettext
	touch $@

# What the full test suite needs from the system: Chromium and a CJK font (so the browser
# tests' screenshots show Chinese) for the browser tests,
# bubblewrap for the sandbox, redis-server for the tests' own broker.
system-deps:
	@bash .ci/system-packages chromium fonts-noto-cjk gettext bubblewrap redis-server

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Refresh the Chinese catalogue after changing strings (then translate what is new).
messages:
	$(MANAGE) makemessages -l zh_Hans --ignore=.venv --ignore=.sandbox-venv --ignore=var --ignore=tests --ignore=bench --no-obsolete
