#!/usr/bin/env bash
# Installs the Debian 12 packages Sentinel builds and tests with. Idempotent: installs only
# what is missing, and runs apt-get update only when something must be installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config lld
  libsimdjson-dev libdeflate-dev zlib1g-dev
  libcli11-dev libfmt-dev libre2-dev libyaml-cpp-dev libsqlite3-dev libssl-dev
  libmaxminddb-dev libmaxmind-db-writer-perl
  libcurl4-openssl-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format clang-tidy
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
