#!/usr/bin/env bash
# Installs what is missing (Debian packages only, via apt), then configures and
# builds one CMake preset (default: release).
#
#   scripts/setup.sh [PRESET]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}

packages=(
  cmake ninja-build g++ pkg-config
  libsimdjson-dev libre2-dev libvectorscan-dev libfyaml-dev libarchive-dev libsqlite3-dev sqlite3
  libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # benchmarks compare against these (bench/evtx, bench/correlate); the fuzz preset uses clang
  libevtx-utils sec time python3 clang
  # `ariadne rules update` runs git (and its test makes a local repository)
  git
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
