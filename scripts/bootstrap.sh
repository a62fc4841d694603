#!/usr/bin/env bash
# Install what the project needs on a fresh Debian machine: system libraries (WeasyPrint's Pango,
# fonts; for the tests also Chromium, PostgreSQL and Redis), the virtual environment, the Python
# packages and the compiled translations. Quick when everything is already there.
#   bash scripts/bootstrap.sh run   # what `make run` needs
#   bash scripts/bootstrap.sh test  # what `make test` needs
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

system_packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [ "$mode" = "test" ]; then
  system_packages+=(chromium postgresql redis-server poppler-utils)
fi

missing=()
for package in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
python_bin="$(command -v python3.11 || command -v python3)"
if ! "$python_bin" -c 'import venv, ensurepip' 2>/dev/null; then
  missing+=(python3-venv python3-pip)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment (.venv)"
  "$python_bin" -m venv .venv
fi

extra=""
[ "$mode" = "test" ] && extra="[dev]"
stamp=".venv/.installed-$mode"
digest="$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  echo "Installing Python packages ($mode)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$extra" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import grants, flask, weasyprint, celery" # fail loudly if the install did not work
  echo "$digest" > "$stamp"
fi

# Quietly (pybabel has no -q: an unknown option made this line always fall back, fuzzy entries dropped).
.venv/bin/pybabel compile -d grants/translations --use-fuzzy -f >/dev/null
