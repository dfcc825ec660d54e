#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 30) each, starting from the
# committed seeds in fuzz/corpus/<target> (which it does not modify), and
# fails on the first crash; the crashing input is left in fuzz/artifacts/.
#
#   fuzz/run.sh                 # every target, 30 s each
#   SECONDS_EACH=3600 fuzz/run.sh mime_rewrite   # one target, longer
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); builds on stable with
# `--sanitizer none` (Rust's own checks: bounds, overflow in debug
# assertions, which cargo fuzz turns on).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${SECONDS_EACH:-30}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo fuzz build --sanitizer none -O
for t in "${targets[@]}"; do
    echo "== fuzz $t for ${SECONDS_EACH}s"
    mkdir -p "$work/$t" "corpus/$t"
    # New inputs go to the first directory (scratch); seeds are read only.
    if ! cargo fuzz run --sanitizer none -O "$t" "$work/$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$work/$t.log" 2>&1; then
        tail -n 60 "$work/$t.log"
        echo "fuzz target $t failed; the input is in fuzz/artifacts/$t" >&2
        exit 1
    fi
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)" "$work/$t.log" || true
    # The session targets keep a throwaway store per process.
    rm -rf "${TMPDIR:-/tmp}"/rampart-fuzz-*
done
echo "fuzzing: ${#targets[@]} targets ran ${SECONDS_EACH}s each without a crash"
