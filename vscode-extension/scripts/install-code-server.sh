#!/usr/bin/env bash
# Install code-server (VS Code in the browser) from the npm registry, without the network-bound
# post-install steps (its @vscode/ripgrep post-install downloads from github.com, which CI cannot
# reach; we link Debian's rg instead). Idempotent: does nothing when the wanted version is there.
#
#   scripts/install-code-server.sh [DIR] [VERSION]     (defaults: $CODE_SERVER_DIR, 4.100.3)
#
# Needs: node >= 20, npm, rg, a C/C++ toolchain and the headers listed in ci.sh (native modules
# are compiled from source because their prebuilt binaries are also downloaded from GitHub).
set -euo pipefail
DIR=${1:-${CODE_SERVER_DIR:-$HOME/.cache/fastapi-docs-lsp/code-server}}
VER=${2:-${CODE_SERVER_VERSION:-4.100.3}}
CS="$DIR/node_modules/code-server"
if [ -f "$DIR/.installed-$VER" ] && [ -f "$CS/out/node/entry.js" ]; then
  echo "code-server $VER already installed in $DIR"
  exit 0
fi
export npm_config_yes=true          # node-pty's rebuild runs `npx node-gyp`
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# compile against the local Node headers instead of downloading them from nodejs.org
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_version.h ]; then
  export npm_config_nodedir=/usr
fi
RG=$(command -v rg) || { echo "error: ripgrep (rg) is required: apt-get install -y ripgrep" >&2; exit 1; }
set -x
rm -rf "$DIR" && mkdir -p "$DIR" && cd "$DIR"
npm init -y >/dev/null
# 1) the package itself, without its post-install (needs unsafe-perm as root and downloads rg)
npm install "code-server@$VER" --ignore-scripts --no-audit --no-fund
npm rebuild argon2
cd "$CS/lib/vscode"
# 2) what code-server's postinstall.sh does, minus the ripgrep download
npm install --omit=dev --ignore-scripts --no-audit --no-fund
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$RG" node_modules/@vscode/ripgrep/bin/rg   # ripgrep's postinstall exits early when bin/ exists
npm rebuild                                         # node-pty, spdlog, kerberos, ...
rm -rf node_modules.asar && ln -s node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev --no-audit --no-fund)
touch "$DIR/.installed-$VER"
set +x
echo "code-server $VER installed: $DIR/node_modules/.bin/code-server"
