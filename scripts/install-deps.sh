#!/usr/bin/env bash
# Installs the Debian packages sluice needs to build and test, only those missing.
# Idempotent and quiet when everything is present; needs root (or sudo) otherwise.
set -euo pipefail

packages=(
  build-essential cmake pkg-config python3
  librdkafka-dev libsimdjson-dev libcpp-httplib-dev libcli11-dev libfmt-dev
  libabsl-dev libxxhash-dev libzstd-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # make test's sanitizer and fuzz builds, format check and make tidy. The libFuzzer and
  # sanitizer runtimes (libclang-rt-14-dev) are only recommended by clang, so named here.
  clang libclang-rt-dev llvm clang-format clang-tidy
)
# The UI's charting library (uPlot) comes from npm at build time.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [[ "${SLUICE_WITH_BROWSER:-0}" == "1" ]]; then
  packages+=(chromium chromium-driver)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
