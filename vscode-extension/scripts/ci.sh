#!/usr/bin/env bash
# CI entry point for the VS Code extension; idempotent, exits non-zero on any failure.
#   1. system packages (CI=true only, as root): chromium, ripgrep, build tools + headers
#   2. npm ci
#   3. npm run package -> fastapi-docs-lsp.vsix (type check, esbuild, server bundled with $PYTHON)
#      and the unit tests (node:test; some check the bundled launcher)
#   4. code-server from npm (scripts/install-code-server.sh; cached in $CODE_SERVER_DIR)
#   5. end-to-end test in code-server (scripts/e2e.sh); screenshots + logs in $ARTIFACTS
#
#   PYTHON=/path/to/venv/bin/python vscode-extension/scripts/ci.sh
# PYTHON must have fastapi installed (it is the fixture project's interpreter); default python3.
# Downloads come only from the npm registry, PyPI and Debian apt.
set -euo pipefail
EXT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$EXT"
export PYTHON=${PYTHON:-python3}
T0=$(date +%s)
stage() { echo; echo "=== [$(( $(date +%s) - T0 ))s] $*"; }

APT_PACKAGES=(chromium ripgrep build-essential pkg-config python3 curl
  libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev)
if [ "${CI:-}" = "true" ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    stage "apt-get install ${missing[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi
for tool in node npm rg curl; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required (CI=true installs the apt packages)" >&2; exit 2; }
done
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "error: ${CHROMIUM:-/usr/bin/chromium} missing: apt-get install chromium" >&2; exit 2; }

stage "npm ci"
npm ci --no-audit --no-fund

stage "package the .vsix (type check, esbuild, server bundled with $PYTHON, vsce)"
rm -f fastapi-docs-lsp.vsix
npm run package
ls -l fastapi-docs-lsp.vsix

stage "unit tests"
npm test

stage "code-server"
bash scripts/install-code-server.sh

stage "end-to-end test in code-server"
bash scripts/e2e.sh

stage "done"
