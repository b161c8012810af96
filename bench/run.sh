#!/usr/bin/env bash
# `make bench`: builds Release with the benchmarks, generates deterministic data, runs the
# whole-process comparison (bench/compare.py) and rewrites docs/performance.md.
#
#   bash bench/run.sh [--large] [--runs N] [--seed S] [--events N] [--plain-events N]
#                     [--plain-flows N] [--no-build]
#
# SENTINEL_BENCH_BUILD=DIR builds in DIR instead of build/release; SENTINEL_BENCH_DATA=DIR keeps
# the generated data in DIR instead of build/bench-data.
# SENTINEL_BENCH_BEFORE=BIN (and SENTINEL_BENCH_BEFORE_LABEL=TEXT): an older sentinel whose detect
# runs beside the current one in the same rounds, for before/after numbers on one machine state.
# Default sizes finish in a few minutes on 2 cores; --large writes more than 5 GB of
# uncompressed logs. Data lives in build/bench-data and is reused while its parameters match.
# Installs jq and python3 with apt-get only when they are missing (never from `make test`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
orig_args="$*"

large=0
runs=5  # rounds; a 65 ms process swings ~10 % between runs, and three rounds let that flip a target
seed=1
events=""
plain_events=""
plain_flows=""
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --large) large=1 ;;
    --runs) runs="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --events) events="$2"; shift ;;
    --plain-events) plain_events="$2"; shift ;;
    --plain-flows) plain_flows="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$large" = 1 ]; then
  # 3.2 M records ≈ 5.2 GB of CloudTrail JSON in the tree, plus a 3.5 GB flow file. The single
  # CloudTrail file stays near 0.5 GB so that jq and Python (which hold the whole document in
  # memory, ~10x its size) fit in RAM.
  : "${events:=3200000}" "${plain_events:=300000}" "${plain_flows:=30000000}"
  flows=5000000
else
  : "${events:=200000}" "${plain_events:=60000}" "${plain_flows:=3000000}"
  flows=1000000
fi
small_events=$((events / 4))

need=()
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: installing ${need[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

build_dir=${SENTINEL_BENCH_BUILD:-build/release}
gen=$build_dir/bench/sentinel-gen
limits=$build_dir/bench/sentinel-limits
spawn=$build_dir/bench/sentinel-bench-spawn
sentinel=$build_dir/src/sentinel
jobs=$(nproc)
if [ "$build" = 1 ]; then
  if [ -f CMakeLists.txt ] &&
     cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DSENTINEL_BUILD_BENCH=ON >/dev/null &&
     cmake --build "$build_dir" -j "$jobs" --target sentinel sentinel-gen sentinel-limits \
       sentinel-bench-spawn sentinel-state-mem; then
    :
  else
    # Keep measuring the baselines when the main tree does not build: the bench tools have
    # their own standalone project.
    echo "bench: main build failed; building the bench tools alone (sentinel not built)" >&2
    build_dir=build/bench-standalone
    cmake -S bench -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build_dir" -j "$jobs" --target sentinel-gen sentinel-limits sentinel-bench-spawn
    gen=$build_dir/sentinel-gen
    limits=$build_dir/sentinel-limits
    spawn=$build_dir/sentinel-bench-spawn
  fi
fi
for tool in "$gen" "$limits" "$spawn"; do
  if [ ! -x "$tool" ]; then echo "bench: $tool missing (run without --no-build)" >&2; exit 1; fi
done
if [ ! -x "$sentinel" ] && [ -x "$build_dir/src/cli/sentinel" ]; then sentinel=$build_dir/src/cli/sentinel; fi
[ -x "$sentinel" ] || echo "bench: sentinel not built ($sentinel); measuring baselines only" >&2

data=${SENTINEL_BENCH_DATA:-build/bench-data}
generate() {  # generate DIR PARAMS... ; skips when DIR already holds data for the same params
  local dir=$1; shift
  local want="$* seed=$seed gen=$(sha1sum "$gen" | cut -c1-12)"
  if [ -f "$dir/manifest.json" ] && [ "$(cat "$dir/.params" 2>/dev/null)" = "$want" ]; then
    echo "bench: reusing $dir"
    return
  fi
  rm -rf "$dir"
  echo "bench: generating $dir ($*)"
  local start=$SECONDS
  "$gen" --out "$dir" --seed "$seed" "$@" >/dev/null
  echo "bench: generated $dir in $((SECONDS - start)) s"
  echo "$want" > "$dir/.params"
}
mkdir -p "$data"
generate "$data/main" --events "$events" --flows "$flows" --plain-events "$plain_events" \
  --plain-flows "$plain_flows"
generate "$data/small" --events "$small_events"

invocation="bash bench/run.sh${orig_args:+ }$orig_args"
if [ -n "${SENTINEL_BENCH_BUILD:-}" ]; then invocation="SENTINEL_BENCH_BUILD=$SENTINEL_BENCH_BUILD $invocation"; fi
if [ -n "${SENTINEL_BENCH_DATA:-}" ]; then invocation="SENTINEL_BENCH_DATA=$SENTINEL_BENCH_DATA $invocation"; fi
bench_start=$SECONDS
python3 bench/compare.py --data "$data/main" --data-small "$data/small" --sentinel "$sentinel" \
  --limits "$limits" --spawn "$spawn" --python python3 --runs "$runs" --doc docs/performance.md \
  --results "$data/results.json" --invocation "$invocation" \
  ${SENTINEL_BENCH_BEFORE:+--before "$SENTINEL_BENCH_BEFORE" --before-label "${SENTINEL_BENCH_BEFORE_LABEL:-before}"}
echo "bench: wrote docs/performance.md and $data/results.json (measuring took $((SECONDS - bench_start)) s)"
