#!/usr/bin/env bash
# End-to-end test: a fresh code-server profile with the built .vsix installed opens a copy of
# test/fixture/, and test/e2e/vscode.e2e.js drives it with Debian chromium (playwright-core).
#
#   PYTHON=/path/to/venv/bin/python scripts/e2e.sh
#
# PYTHON: the project interpreter (must have fastapi; it also runs the bundled server).
# Env: CODE_SERVER_DIR (see install-code-server.sh), VSIX, ARTIFACTS, PORT, CHROMIUM.
set -euo pipefail
EXT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$EXT/.." && pwd)
PYTHON=${PYTHON:-python3}
PY=$("$PYTHON" -c 'import sys; print(sys.executable)')
CSB=${CODE_SERVER_BIN:-${CODE_SERVER_DIR:-$HOME/.cache/fastapi-docs-lsp/code-server}/node_modules/.bin/code-server}
VSIX=${VSIX:-$EXT/fastapi-docs-lsp.vsix}
ART=${ARTIFACTS:-$REPO/artifacts/vscode-e2e}
PORT=${PORT:-$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}
[ -x "$CSB" ] || { echo "error: code-server not found at $CSB (run scripts/install-code-server.sh)" >&2; exit 2; }
[ -f "$VSIX" ] || { echo "error: $VSIX not found (run npm run package)" >&2; exit 2; }
FASTAPI_VERSION=$("$PY" -c 'import fastapi; print(fastapi.__version__)') || {
  echo "error: $PY has no fastapi; set PYTHON to the project venv's python" >&2; exit 2; }

D=$(mktemp -d "${TMPDIR:-/tmp}/fastapi-docs-e2e.XXXXXX")
mkdir -p "$D/User" "$D/ext" "$ART"
rm -f "$ART"/*.png "$ART"/e2e-results.json
cp -r "$EXT/test/fixture" "$D/ws"
cat > "$D/User/settings.json" <<JSON
{
  "fastapi.server.interpreter": "$PY",
  "fastapi.logLevel": "debug",
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "telemetry.telemetryLevel": "off",
  "editor.hover.delay": 150,
  "editor.wordBasedSuggestions": "off",
  "editor.quickSuggestions": { "other": true, "comments": false, "strings": false },
  "editor.suggest.showStatusBar": false
}
JSON
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" > "$D/config.yaml"
COMMON=(--config "$D/config.yaml" --user-data-dir "$D" --extensions-dir "$D/ext")
"$CSB" "${COMMON[@]}" --install-extension "$VSIX"
setsid "$CSB" "${COMMON[@]}" --disable-telemetry --disable-update-check --disable-workspace-trust "$D/ws" > "$D/code-server.log" 2>&1 &
CSPID=$!
cleanup() {
  kill -- "-$CSPID" 2>/dev/null || true   # code-server, its extension host and the language server
  mkdir -p "$ART/logs"
  cp "$D/code-server.log" "$ART/logs/" 2>/dev/null || true
  # extension host log and the "FastAPI Docs" output channel
  find "$D/logs" -name '*.log' \( -path '*exthost*' -o -name '*FastAPI*' \) -exec cp {} "$ART/logs/" \; 2>/dev/null || true
  rm -rf "$D"
}
trap cleanup EXIT
for _ in $(seq 150); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" || { echo "error: code-server did not start" >&2; cat "$D/code-server.log" >&2; exit 1; }
set +e
CS_URL="http://127.0.0.1:$PORT" WS="$D/ws" ARTIFACTS="$ART" FASTAPI_VERSION="$FASTAPI_VERSION" \
  node "$EXT/test/e2e/vscode.e2e.js"
rc=$?
set -e
echo "screenshots and logs: $ART"
exit $rc
