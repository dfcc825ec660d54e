#!/usr/bin/env bash
# DKIM verdicts against dkimpy (issue #17): dkimpy's test data and messages
# it signs with its test keys (plus tampered copies) go to Rampart's port 25
# with their keys served by a loopback DNS server; each signature's result
# in the Authentication-Results Rampart writes must match dkimpy's own
# verification, and every such header must parse with `authres`.
#
#   bash tests/dkim_vectors/run.sh     # needs: pip install dkimpy pynacl authres
#   DKIMPY_DATA=dir ...                # dkimpy's tests/data (default: from its sdist)
#   RAMPART_VECTORS_BIN=path ...       # default target/debug/rampart (never built here)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${RAMPART_VECTORS_BIN:-target/debug/rampart}
[ -x "$BIN" ] || { echo "dkim_vectors: $BIN is missing (cargo build first)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/rampart-dkimvec.XXXXXX)
# dkimpy's test data ships in its sdist only (not in the wheel).
VERSION=$(python3 -c 'import importlib.metadata as m; print(m.version("dkimpy"))')
if [ -z "${DKIMPY_DATA:-}" ]; then
    python3 -m pip download -q --no-deps --no-binary :all: "dkimpy==$VERSION" -d "$WORK/sdist" >/dev/null
    tar xzf "$WORK"/sdist/dkimpy-*.tar.gz -C "$WORK/sdist"
    DKIMPY_DATA=$(echo "$WORK"/sdist/dkimpy-*/dkim/tests/data)
fi
DATA=$DKIMPY_DATA
[ -d "$DATA" ] || { echo "dkim_vectors: dkimpy's test data is missing" >&2; exit 2; }
RPID=""; DPID=""
cleanup() {
    [ -n "$RPID" ] && kill "$RPID" 2>/dev/null; [ -n "$DPID" ] && kill "$DPID" 2>/dev/null
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "work dir kept: $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
read -r P_SMTP P_IMAPS P_HTTP P_DNS < <(python3 - <<'PY'
import socket
socks = []
for _ in range(4):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(*[s.getsockname()[1] for s in socks])
PY
)
python3 tests/dkim_vectors/compare.py "$DATA" "$WORK/zone.json"
DNSD_ZONE="$WORK/zone.json" python3 bench/dnsd.py "$P_DNS" & DPID=$!
cat > "$WORK/rampart.toml" <<CONF
hostname = "mx.vectors.test"
data_dir = "$WORK"
database_url = "sqlite://$WORK/rampart.db"
[listeners]
smtp = "127.0.0.1:$P_SMTP"
submission = ""
submissions = ""
imap = ""
imaps = "127.0.0.1:$P_IMAPS"
pop3 = ""
pop3s = ""
http = "127.0.0.1:$P_HTTP"
https = ""
[dns]
nameservers = ["127.0.0.1:$P_DNS"]
check_interval_seconds = 0
CONF
UNSET=()
for v in $(compgen -e | grep '^RAMPART_' | grep -v '^RAMPART_LOG$' || true); do UNSET+=(-u "$v"); done
env "${UNSET[@]}" "$BIN" --config "$WORK/rampart.toml" serve 2>"$WORK/server.log" & RPID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$P_HTTP/healthz" >/dev/null && break; sleep 0.1; done
TOKEN=$(env "${UNSET[@]}" "$BIN" --config "$WORK/rampart.toml" token create --role admin)
api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
api -d '{"name":"example.test"}' "http://127.0.0.1:$P_HTTP/v1/domains" >/dev/null
api -d '{"address":"suzie@example.test","password":"suzie password"}' "http://127.0.0.1:$P_HTTP/v1/accounts" >/dev/null
# Score nothing into a refusal: every verdict must reach the mailbox.
api -X PUT -d '{"enabled": true, "junk_score": 1000, "reject_score": 1000, "reject_without_ptr": false, "honor_dmarc_reject": false, "honor_dmarc_quarantine": false, "tempfail_on_dns_error": false}' \
    "http://127.0.0.1:$P_HTTP/v1/settings/inbound-screening" >/dev/null
sleep 1.1   # settings are cached for a second
python3 tests/dkim_vectors/compare.py "$DATA" "$P_SMTP" "$P_IMAPS" suzie@example.test "suzie password"
