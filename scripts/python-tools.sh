#!/usr/bin/env bash
# Makes a virtual environment hold exactly the Python tools pinned for it, and prints its bin folder:
#   bash scripts/python-tools.sh           moto and cfn-lint: .venv-tools/ from requirements-tools.txt
#   bash scripts/python-tools.sh checkov   checkov: .venv-checkov/ from requirements-checkov.txt
# Two environments because checkov pins an old botocore, and moto reads AWS's API models from botocore.
# Reinstalls only when the requirements file changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-tools}" in
  tools) venv=.venv-tools requirements=requirements-tools.txt check='import moto, cfnlint' ;;
  checkov) venv=.venv-checkov requirements=requirements-checkov.txt check='import checkov' ;;
  *)
    echo "python-tools.sh: unknown tool set '$1' (use 'tools' for moto and cfn-lint, or 'checkov')" >&2
    exit 2
    ;;
esac
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
"$venv/bin/python" -c "$check" || {
  echo "installing the Python tools from $requirements failed (see pip's output above)" >&2
  exit 1
}
echo "$wanted" > "$stamp"
echo "$PWD/$venv/bin"
