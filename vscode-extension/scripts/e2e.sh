#!/usr/bin/env bash
# End-to-end test of the product as shipped: a fresh code-server profile with the BUILT .vsix
# installed opens a copy of test/fixture/ that has its own .venv with fastapi (created here), and
# test/e2e/vscode.e2e.js drives it with Debian chromium (playwright-core).
#
# Like a new user's machine: no Python extension, no interpreter setting, an empty cache
# (XDG_CACHE_HOME is a fresh folder) and no virtualenv on PATH. The bundled server runs on the
# first python3 on that PATH and must find the workspace's .venv by itself, read the FastAPI
# installed there (a `max_length=` hover shows FastAPI's own Doc() text) and log no failure.
#
#   scripts/e2e.sh
#
# Env: BASE_PYTHON (creates the fixture .venv; default: python3 on the cleaned PATH),
#      CODE_SERVER_DIR (see install-code-server.sh), VSIX, ARTIFACTS, PORT, CHROMIUM.
set -euo pipefail
EXT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$EXT/.." && pwd)
# PATH without any virtualenv (a folder whose parent holds pyvenv.cfg) or conda env
CLEAN_PATH=""
IFS=: read -r -a _dirs <<< "${PATH:-/usr/bin:/bin}"
for dir in "${_dirs[@]}"; do
  [ -n "$dir" ] || continue
  { [ -f "$dir/../pyvenv.cfg" ] || [ -d "$dir/../conda-meta" ]; } && continue
  CLEAN_PATH="${CLEAN_PATH:+$CLEAN_PATH:}$dir"
done
BASE_PYTHON=${BASE_PYTHON:-$(PATH="$CLEAN_PATH" command -v python3 || true)}
[ -n "$BASE_PYTHON" ] || { echo "error: no python3 on PATH outside virtualenvs" >&2; exit 2; }
CSB=${CODE_SERVER_BIN:-${CODE_SERVER_DIR:-$HOME/.cache/fastapi-docs-lsp/code-server}/node_modules/.bin/code-server}
VSIX=${VSIX:-$EXT/fastapi-docs-lsp.vsix}
ART=${ARTIFACTS:-$REPO/artifacts/vscode-e2e}
PORT=${PORT:-$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}
[ -x "$CSB" ] || { echo "error: code-server not found at $CSB (run scripts/install-code-server.sh)" >&2; exit 2; }
[ -f "$VSIX" ] || { echo "error: $VSIX not found (run npm run package)" >&2; exit 2; }

D=$(mktemp -d "${TMPDIR:-/tmp}/fastapi-docs-e2e.XXXXXX")
mkdir -p "$D/User" "$D/ext" "$D/cache" "$ART"
rm -rf "$ART"/*.png "$ART"/e2e-results.json "$ART/logs"
cp -r "$EXT/test/fixture" "$D/ws"
# the fixture project's own environment, as `python -m venv .venv && pip install fastapi` makes it
echo "e2e: creating the fixture's .venv with fastapi ($BASE_PYTHON)"
"$BASE_PYTHON" -m venv "$D/ws/.venv"
"$D/ws/.venv/bin/python" -m pip install --quiet --disable-pip-version-check fastapi 2>&1 | grep -v "Location 'file:" || true
FASTAPI_VERSION=$("$D/ws/.venv/bin/python" -c 'import fastapi; print(fastapi.__version__)') || {
  echo "error: could not install fastapi into the fixture's .venv" >&2; exit 2; }
# the first paragraph of FastAPI's own Doc() text for Query(max_length=...), read from its source
EXPECT_DOC=$("$D/ws/.venv/bin/python" - <<'PY'
import ast, inspect, pathlib, fastapi
src = pathlib.Path(fastapi.__file__).with_name("param_functions.py").read_text()
for node in ast.walk(ast.parse(src)):
    if isinstance(node, ast.FunctionDef) and node.name == "Query":
        for arg in node.args.args + node.args.kwonlyargs:
            if arg.arg == "max_length":
                for call in ast.walk(arg.annotation):
                    if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "Doc":
                        text = inspect.cleandoc(call.args[0].value)
                        print(" ".join(text.split("\n\n")[0].split()))
                        raise SystemExit(0)
raise SystemExit("no Doc() for Query(max_length)")
PY
)
echo "e2e: fixture fastapi $FASTAPI_VERSION; expecting Doc() text: $EXPECT_DOC"
if "$BASE_PYTHON" -c 'import fastapi' 2>/dev/null; then
  # then the status bar's version could come from the server's own interpreter
  echo "warning: $BASE_PYTHON has fastapi too: the workspace .venv discovery is not proven by this run" >&2
fi
cat > "$D/User/settings.json" <<JSON
{
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
# a new user's environment: empty cache, no virtualenv, nothing pointing the server anywhere
setsid env -u VIRTUAL_ENV -u CONDA_PREFIX -u PYTHONPATH -u PYTHONHOME -u FASTAPI_DOCS_LSP_CACHE_DIR \
  PATH="$CLEAN_PATH" XDG_CACHE_HOME="$D/cache" \
  "$CSB" "${COMMON[@]}" --disable-telemetry --disable-update-check --disable-workspace-trust "$D/ws" > "$D/code-server.log" 2>&1 &
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
CS_URL="http://127.0.0.1:$PORT" WS="$D/ws" ARTIFACTS="$ART" FASTAPI_VERSION="$FASTAPI_VERSION" EXPECT_DOC="$EXPECT_DOC" \
  node "$EXT/test/e2e/vscode.e2e.js"
rc=$?
set -e
# the server's log (the "FastAPI Docs" output channel) must show no failure to read FastAPI
CHANNEL=$(find "$D/logs" -name '*FastAPI*' -name '*.log' 2>/dev/null | head -1)
if [ -z "$CHANNEL" ]; then
  echo "FAIL: the FastAPI Docs output channel log was not found"; rc=$((rc + 1))
elif grep -E "reading the installed FastAPI failed|No module named 'fastapi_docs_lsp'" "$CHANNEL"; then
  echo "FAIL: the server could not read the installed FastAPI (see the lines above)"; rc=$((rc + 1))
else
  echo "ok   server log: no failure to read the installed FastAPI"
fi
echo "screenshots and logs: $ART"
exit $rc
