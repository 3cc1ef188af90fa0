#!/usr/bin/env bash
# Runs one stage of `make test` and appends "NAME: SECONDS s" to TIMES_FILE (also on failure).
# Usage: stage.sh TIMES_FILE NAME COMMAND [ARGS...]
set -uo pipefail
times=$1 name=$2
shift 2
start=$(date +%s)
"$@"
rc=$?
secs=$(($(date +%s) - start))
mkdir -p "$(dirname "$times")"
printf '%-14s %4d s%s\n' "$name:" "$secs" "$([[ $rc -ne 0 ]] && echo " (failed, exit $rc)")" >>"$times"
exit $rc
