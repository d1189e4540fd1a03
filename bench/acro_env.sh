#!/usr/bin/env bash
# ACRO's own environment for bench/disclosure.py: a virtualenv outside the project (never
# the project's .venv), with ACRO pinned, from PyPI. Idempotent.
#
#   bash bench/acro_env.sh [DIR]     # DIR defaults to $ACRO_VENV, else /tmp/acro-venv
set -euo pipefail
ACRO_VERSION=1.0.2  # bench/disclosure.py's ACRO_VERSION
dir="${1:-${ACRO_VENV:-/tmp/acro-venv}}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

bash "$here/../.ci/system-packages" python3-venv
test -x "$dir/bin/python" || python3 -m venv "$dir"
if ! "$dir/bin/python" -c "import acro.version as v; assert v.__version__ == '$ACRO_VERSION'" \
    2>/dev/null; then
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "acro==$ACRO_VERSION"
fi
"$dir/bin/python" -c "import acro.version as v; print('acro', v.__version__, 'in $dir')"
