#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 and install the project into it.
#
# Usage: bash setup.sh          # the simulator and its dependencies
#        bash setup.sh test     # the same plus the test extras (pytest, hypothesis, ruff)
#
# The interpreter is found in this order: $PYTHON if set; python3.14, python3.13,
# python3.12 and python3 on PATH; then pyenv's installed versions. The first one that
# is 3.12 or newer wins. Set PYTHON=/path/to/python3.12 to choose one yourself.
set -euo pipefail
cd "$(dirname "$0")"

extras=""
case "${1:-}" in
  "") ;;
  test) extras="[test]" ;;
  *) echo "setup.sh: unknown argument '$1' (expected nothing or 'test')" >&2; exit 2 ;;
esac

is_ok() {  # is_ok PYTHON -> true when it runs and is >= 3.12
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
  if [ -n "${PYTHON:-}" ]; then
    if is_ok "$PYTHON"; then echo "$PYTHON"; return 0; fi
    echo "setup.sh: PYTHON=$PYTHON is not a working Python 3.12 or newer" >&2
    return 1
  fi
  local c
  for c in python3.14 python3.13 python3.12 python3; do
    if command -v "$c" >/dev/null 2>&1 && is_ok "$c"; then command -v "$c"; return 0; fi
  done
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  for c in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -Vr); do
    if [ -x "$c/bin/python3" ] && is_ok "$c/bin/python3"; then echo "$c/bin/python3"; return 0; fi
  done
  echo "setup.sh: no Python 3.12 or newer found. Install one (e.g. 'pyenv install 3.12'," >&2
  echo "          or your system's python3.12 package) or point PYTHON= at it." >&2
  return 1
}

if [ -x .venv/bin/python ] && is_ok .venv/bin/python; then
  py=.venv/bin/python
else
  base=$(find_python)
  echo "setup.sh: creating .venv with $base ($("$base" --version 2>&1))" >&2
  rm -rf .venv
  "$base" -m venv .venv
  py=.venv/bin/python
fi

"$py" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$py" -m pip install --quiet --disable-pip-version-check -e ".${extras}" >&2
echo "setup.sh: ready (.venv, $("$py" --version 2>&1))" >&2
