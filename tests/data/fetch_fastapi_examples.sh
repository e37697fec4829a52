#!/usr/bin/env bash
# Fetch FastAPI's source distribution (it holds docs_src/ and tests/, which the wheel does not)
# for the FastAPI version installed in $PYTHON, and unpack it into tests/data/fastapi-examples/.
# tests/unit/test_no_false_positives.py runs every diagnostic rule over it; without it those
# tests are skipped. The folder ignores itself in git (it writes its own .gitignore).
#
#   PYTHON=/path/to/venv/bin/python tests/data/fetch_fastapi_examples.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
dest="${FASTAPI_EXAMPLES_DIR:-$here/fastapi-examples}"
version="$("$python" -c 'import importlib.metadata as m; print(m.version("fastapi"))')"
target="$dest/fastapi-$version"

if [ -d "$target/docs_src" ] && [ -d "$target/tests" ]; then
  echo "FastAPI $version examples already in $target"
  exit 0
fi

mkdir -p "$dest"
printf '*\n' > "$dest/.gitignore"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$python" -m pip download --quiet --no-binary :all: --no-deps "fastapi==$version" -d "$tmp"
archive="$(ls "$tmp"/fastapi-*.tar.gz | head -n 1)"
tar -xzf "$archive" -C "$tmp"
rm -rf "$target"
mv "$tmp/fastapi-$version" "$target"
echo "FastAPI $version examples: $(find "$target/docs_src" "$target/tests" -name '*.py' | wc -l) files in $target"
