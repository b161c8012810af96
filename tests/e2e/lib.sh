# Helpers shared by the end-to-end scripts. Source after setting SENTINEL; sets TMP (removed on
# exit) and counts checks in PASSED / FAILED. `e2e_finish` prints "N passed, M failed" and
# returns non-zero when any check failed.
# shellcheck shell=bash

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sentinel-e2e.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() {
  FAILED=$((FAILED + 1))
  echo "FAIL - $1"
  shift
  for extra in "$@"; do echo "       $extra"; done
}

# run NAME ARGS...: runs sentinel with stdout/stderr captured in $TMP/NAME.out / .err and the
# exit code in RC.
run() {
  local name=$1
  shift
  "$SENTINEL" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
  RC=$?
}

# expect_rc NAME WANT: the last run's exit code.
expect_rc() {
  if [ "$RC" -eq "$2" ]; then
    pass "$1: exit $2"
  else
    fail "$1: exit $RC, want $2" "stderr: $(head -c 400 "$TMP/$1.err" 2>/dev/null)"
  fi
}

# expect_grep DESC FILE PATTERN (fixed string)
expect_grep() {
  if grep -qF -- "$3" "$2"; then
    pass "$1"
  else
    fail "$1" "'$3' not found in $(basename "$2"): $(head -c 400 "$2")"
  fi
}

# expect_no_grep DESC FILE PATTERN (fixed string)
expect_no_grep() {
  if grep -qF -- "$3" "$2"; then
    fail "$1" "'$3' unexpectedly found in $(basename "$2")"
  else
    pass "$1"
  fi
}

# py DESC FILE SCRIPT: runs a python check over FILE (sys.argv[1]); it asserts.
py() {
  local desc=$1 file=$2 script=$3
  local msg
  if msg=$(python3 -c "$script" "$file" 2>&1); then
    pass "$desc"
  else
    fail "$desc" "$(echo "$msg" | tail -n 3)"
  fi
}

e2e_finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
