#!/usr/bin/env bash
# Makes .venv-tools/ hold exactly the Python tools pinned in requirements-tools.txt (moto, cfn-lint, checkov).
# Reinstalls only when the requirements file changed since the last install. Prints the venv's bin folder.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-tools
requirements=requirements-tools.txt
stamp="$venv/.requirements.sha256"

if ! command -v python3 > /dev/null; then
  echo "python3 is missing: the AWS conformance tests need Python 3.11+ with venv (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "python3 is $(python3 -V 2>&1 | cut -d' ' -f2): the AWS conformance tests need Python 3.11 or newer" >&2
  exit 1
fi

wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x "$venv/bin/python" ]; then
  echo "$PWD/$venv/bin"
  exit 0
fi

rm -rf "$venv"
if ! python3 -m venv "$venv" > /dev/null 2>&1; then
  echo "python3 cannot create a virtual environment: install the venv module (Debian: apt-get install python3-venv)" >&2
  exit 1
fi
# The file pins every package with its dependencies, so pip resolves nothing (--no-deps) and installs exactly that.
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements" 2>&1 \
  | grep -v -E "^WARNING: Location .* is ignored" >&2 || true
"$venv/bin/python" -c 'import moto, cfnlint, checkov' || {
  echo "installing the Python tools from $requirements failed (see pip's output above)" >&2
  exit 1
}
echo "$wanted" > "$stamp"
echo "$PWD/$venv/bin"
