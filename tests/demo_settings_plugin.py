"""pytest plugin: the tests run with the demo's settings (DEMO=1: DEBUG off, a secret key
generated once under VAR_DIR unless SECRET_KEY is set), as ``make demo`` does.

It runs (``-p tests.demo_settings_plugin``) before pytest-django reads the settings, and
the processes tests start inherit it.
"""

import os

os.environ.setdefault("DEMO", "1")
