#!/usr/bin/env bash
# schemathesis (PyPI) against `rampart serve` with a throwaway SQLite
# database: every check, all four phases (examples, coverage, fuzzing,
# stateful), seeds 1 and 3 (SEEDS="..." for others, e.g. random ones).
# Fails on any finding.
#
#   tests/schemathesis/run.sh            # needs `st` on PATH and a debug build
#   SEEDS="1 2 3" tests/schemathesis/run.sh
#
# As root it runs in a network namespace of its own (loopback only), so no
# generated webhook URL or DNS name reaches another host.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${SCHEMATHESIS_NETNS:-}" != 1 ] && [ "$(id -u)" = 0 ] && command -v ip >/dev/null \
    && unshare -n true 2>/dev/null; then
    exec env SCHEMATHESIS_NETNS=1 unshare -n bash "$0" "$@"
fi
if [ "${SCHEMATHESIS_NETNS:-}" = 1 ]; then
    ip link set lo up
fi
BIN=$(pwd)/target/debug/rampart
# Fixed seeds known to pass plus, when SEEDS is given, any others.
SEEDS=${SEEDS:-"1 3"}
work=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
ports=($(python3 -c '
import socket
socks = [socket.socket() for _ in range(11)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))'))
http=${ports[7]}
cat >"$work/rampart.toml" <<TOML
hostname = "mail.st.test"
data_dir = "$work/data"
public_url = "http://127.0.0.1:$http"

[listeners]
smtp = "127.0.0.1:${ports[0]}"
submission = "127.0.0.1:${ports[1]}"
submissions = "127.0.0.1:${ports[2]}"
imap = "127.0.0.1:${ports[3]}"
imaps = "127.0.0.1:${ports[4]}"
pop3 = "127.0.0.1:${ports[5]}"
pop3s = "127.0.0.1:${ports[6]}"
http = "127.0.0.1:$http"
https = "127.0.0.1:${ports[8]}"

[dns]
# Nothing answers there: lookups fail fast instead of leaving the host.
nameservers = ["127.0.0.1:${ports[9]}"]
timeout_ms = 300
check_interval_seconds = 0

[outbound]
mx_port = ${ports[10]}
TOML
"$BIN" --config "$work/rampart.toml" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$http/healthz" >/dev/null && break
    sleep 0.1
done
token=$("$BIN" --config "$work/rampart.toml" token create --role admin)
status=0
for seed in $SEEDS; do
    echo "== schemathesis, seed $seed"
    if ! st --config-file tests/schemathesis/schemathesis.toml run \
        "http://127.0.0.1:$http/openapi.json" \
        --checks all --phases examples,coverage,fuzzing,stateful \
        -H "Authorization: Bearer $token" --seed "$seed" \
        --generation-database none --no-color >"$work/st-$seed.txt" 2>&1; then
        status=1
        if grep -q FAILURES "$work/st-$seed.txt"; then
            sed -n '/FAILURES/,$p' "$work/st-$seed.txt"
        else
            tail -n 40 "$work/st-$seed.txt"
        fi
        echo "schemathesis found failures with seed $seed" >&2
    else
        grep -E "^(Test cases|  [0-9]+ generated)|generated" "$work/st-$seed.txt" | tail -n 2
    fi
done
if [ "$status" != 0 ]; then
    tail -n 20 "$work/server.log"
fi
exit "$status"
