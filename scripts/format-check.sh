#!/usr/bin/env bash
# Fails (listing the files) when a C++ file differs from what `make format` would write.
# Usage: format-check.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
mapfile -d '' files < <(find src bench tests/fuzz \( -name '*.h' -o -name '*.cc' \) -print0 | sort -z)
if ! out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1); then
  echo "not formatted (run \`make format\`):" >&2
  grep -oE '^[^: ]+\.(cc|h):' <<<"$out" | tr -d ':' | sort -u >&2
  exit 1
fi
