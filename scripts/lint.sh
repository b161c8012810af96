#!/usr/bin/env bash
# clang-format in check mode over every tracked C++ file, then clang-tidy with .clang-tidy over
# the project's sources, using the compile database of the given build folder.
set -euo pipefail
build=${1:-build/release}
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' 'bench/*.cc' 'bench/*.h')
echo "lint: clang-format --dry-run on ${#files[@]} files"
clang-format --dry-run --Werror "${files[@]}"
mapfile -t sources < <(git ls-files 'src/*.cc')
echo "lint: clang-tidy on ${#sources[@]} files"
run-clang-tidy -quiet -p "$build" "${sources[@]}" 2>/dev/null || clang-tidy -quiet -p "$build" "${sources[@]}"
