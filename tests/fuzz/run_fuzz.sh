#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS over the checked-in seeds, keeping what it learns in
# WORK/corpus/NAME and any crashing input in WORK/artifacts/ (the seeds are never written).
# Usage: run_fuzz.sh FUZZER SECONDS WORK SEED_DIR
set -euo pipefail
fuzzer=$1 seconds=$2 work=$3 seeds=$4
name=$(basename "$fuzzer")
mkdir -p "$work/corpus/$name" "$work/artifacts"
# -timeout: an input that takes over 10 s is a hang; -rss_limit_mb guards against runaway memory.
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/$name-" "$work/corpus/$name" "$seeds"
