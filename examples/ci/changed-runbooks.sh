#!/usr/bin/env bash
# Checks the runbooks that a change touches, for CI and for a pre-commit hook (docs/ci.md):
#   1. runbook validate --strict   every changed runbook (a changed <id>.test.yaml counts for <id>.yaml)
#   2. runbook test                their scenario files, where they have one
#   3. runbook run <id> --dry-run  each of them
# Usage: changed-runbooks.sh BASE       what changed since BASE (a commit, or origin/main)
#        changed-runbooks.sh --staged   what is staged for the next commit (a pre-commit hook)
# Environment: RUNBOOK_PATHS   where runbooks live, space-separated (default: runbooks)
#              RUNBOOK_JUNIT_DIR   also write JUnit reports there, for the CI to show
#              RUNBOOK   the command (default: runbook)
# Exit: 0 all passed or nothing changed; otherwise the exit code of the first check that failed
# (2: invalid runbook; 1: a scenario or dry run failed).
set -uo pipefail

runbook=${RUNBOOK:-runbook}
read -r -a paths <<<"${RUNBOOK_PATHS:-runbooks}"
junit=${RUNBOOK_JUNIT_DIR:-}

if [ "${1:-}" = --staged ]; then
  range=(--cached)
elif [ -n "${1:-}" ]; then
  base=$(git merge-base "$1" HEAD) || { echo "changed-runbooks: no common history with $1" >&2; exit 2; }
  range=("$base" HEAD)
else
  echo "usage: changed-runbooks.sh BASE | --staged" >&2
  exit 2
fi

specs=()
for path in "${paths[@]}"; do specs+=("$path/*.yaml" "$path/*.yml"); done
declare -A seen=()
files=()
while IFS= read -r -d '' file; do
  case $file in */runbook.config.y*ml | runbook.config.y*ml) continue ;; esac
  runbook_file=${file%.test.yaml}
  [ "$runbook_file" != "$file" ] && runbook_file=$runbook_file.yaml
  [ -f "$runbook_file" ] || continue
  [ -n "${seen[$runbook_file]:-}" ] && continue
  seen[$runbook_file]=1
  files+=("$runbook_file")
done < <(git diff -z --name-only --diff-filter=ACMR "${range[@]}" -- "${specs[@]}")

if [ ${#files[@]} -eq 0 ]; then
  echo "no changed runbooks"
  exit 0
fi
echo "changed runbooks: ${files[*]}"
[ -n "$junit" ] && mkdir -p "$junit"

status=0
fail() { [ "$status" -ne 0 ] || status=$1; }

echo "== runbook validate --strict"
"$runbook" validate --strict -- "${files[@]}" || fail $?
if [ -n "$junit" ]; then
  "$runbook" validate --strict --format junit -- "${files[@]}" >"$junit/validate.xml"
fi
# Invalid runbooks can neither be tested nor planned: stop here.
[ "$status" -eq 0 ] || exit "$status"

scenarios=()
for file in "${files[@]}"; do
  [ -f "${file%.y*ml}.test.yaml" ] && scenarios+=("${file%.y*ml}.test.yaml")
done
# A runbook without the `test` command prints its general help instead of the command's.
if ! "$runbook" test --help 2>/dev/null | grep -q '^Usage: runbook test'; then
  echo "== runbook test: not in this version of runbook, skipped"
elif [ ${#scenarios[@]} -eq 0 ]; then
  echo "== runbook test: no scenario files"
else
  echo "== runbook test"
  "$runbook" test -- "${scenarios[@]}" || fail $?
  if [ -n "$junit" ]; then
    "$runbook" test --format junit -- "${scenarios[@]}" >"$junit/test.xml"
  fi
fi

for file in "${files[@]}"; do
  id=$(basename "${file%.y*ml}")
  dir=$(dirname "$file")
  echo "== runbook run $id --dry-run"
  if [ -n "$junit" ]; then
    "$runbook" run "$id" --dir "$dir" --dry-run --non-interactive --format junit >"$junit/dry-run-$id.xml" || fail $?
  else
    "$runbook" run "$id" --dir "$dir" --dry-run --non-interactive || fail $?
  fi
done
exit "$status"
