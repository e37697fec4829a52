#!/usr/bin/env bash
# CI entry point for the VS Code extension; idempotent, exits non-zero on any failure.
#   1. system packages (CI=true only, as root): chromium, ripgrep, build tools + headers
#   2. npm ci
#   3. npm run package -> fastapi-docs-lsp.vsix (type check, esbuild, server bundled with $PYTHON,
#      its dependencies installed with --require-hashes from python/requirements.txt), with no
#      warning from pip or vsce; and the unit tests (node:test; some check the bundled launcher)
#   4. code-server from npm (scripts/install-code-server.sh; cached in $CODE_SERVER_DIR)
#   5. end-to-end test in code-server (scripts/e2e.sh); screenshots + logs in $ARTIFACTS
#
#   PYTHON=/path/to/venv/bin/python vscode-extension/scripts/ci.sh
# PYTHON builds the bundle (it needs pip); default python3. The end-to-end test makes its own
# fixture venv and runs the server on the first python3 on PATH outside any virtualenv.
# Downloads come only from the npm registry, PyPI and Debian apt.
set -euo pipefail
EXT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$EXT"
export PYTHON=${PYTHON:-python3}
T0=$(date +%s)
stage() { echo; echo "=== [$(( $(date +%s) - T0 ))s] $*"; }

APT_PACKAGES=(chromium ripgrep build-essential pkg-config python3 python3-venv curl
  libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev)
# Node.js >= 20 (code-server 4.100 needs it): the machine's apt sources provide it
command -v node >/dev/null || APT_PACKAGES+=(nodejs)
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
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || {
  echo "error: Node.js $(node --version) is too old: code-server 4.100 needs Node 20 or newer" >&2; exit 2; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "error: ${CHROMIUM:-/usr/bin/chromium} missing: apt-get install chromium" >&2; exit 2; }

stage "npm ci"
npm ci --no-audit --no-fund

stage "package the .vsix (type check, esbuild, server bundled with $PYTHON from python/requirements.txt, vsce)"
rm -f fastapi-docs-lsp.vsix
npm run package 2>&1 | tee package.log
ls -l fastapi-docs-lsp.vsix
# vsce's own checks (repository, license, engine, files) warn rather than fail: treat warnings as failures
if grep -v "Location 'file:" package.log | grep -iE "^\s*(WARNING|warn)\b|already exists"; then
  echo "error: npm run package printed warnings (above)" >&2; rm -f package.log; exit 1
fi
rm -f package.log
npx vsce ls --no-dependencies > /dev/null

stage "unit tests"
npm test

stage "code-server"
bash scripts/install-code-server.sh

stage "end-to-end test in code-server"
bash scripts/e2e.sh

stage "done"
