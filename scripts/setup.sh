#!/usr/bin/env bash
# Prepares a Debian machine that has Node/npm: the Debian packages SalesControl uses, then the npm
# packages from the lock file (Bun itself comes from npm).
#   scripts/setup.sh          what running the nodes needs
#   scripts/setup.sh --test   plus what the test suite and benchmarks drive (MariaDB, Chromium, qemu, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

# pocketsphinx: the offline English recogniser `npm start` transcribes its demo conversations with.
runtime=(ffmpeg alsa-utils espeak-ng sqlite3 ca-certificates pocketsphinx pocketsphinx-en-us)
testing=(mariadb-server qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross
  chromium nginx-light wrk unzip zip procps time curl)
packages=("${runtime[@]}")
if [ "${1:-}" = "--test" ]; then packages+=("${testing[@]}"); fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing Debian packages: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund
