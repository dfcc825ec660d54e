#!/usr/bin/env python3
"""Hostile-input resource use of a running Rampart server. Only talks to
127.0.0.1; every loop is bounded in count and in time. Each subcommand
prints one JSON object on stdout; `report` turns a file of them into a
Markdown table and exits 1 when a pass condition fails.

  hostile.py flood PROTO PORT PID            PROTO: imap | pop3 | smtp (plain ports)
      CONNS (50) connections at once, greeting read, then each sends MIB (100)
      MiB of 'A' with no line ending in 64 KiB writes until the server closes.
      Pass: every connection got its error line and was closed by the server,
      and peak RSS < baseline + 32 MiB.
  hostile.py logins PORT USER PASS PID ROUNDS N
      ROUNDS rounds of N parallel `a LOGIN` / `b LOGOUT` over implicit TLS.
      Pass: peak RSS < 128 MiB, RSS AFTER_SECONDS (5) later within 32 MiB of
      the baseline, and at least one login succeeded.
  hostile.py alpn LISTENER PORT              LISTENER: imaps | pop3s | submissions
      http/1.1 offered -> no_application_protocol (openssl s_client, and
      Python ssl); no ALPN -> greeting; the right ALPN -> greeting.
  hostile.py report FILE                     FILE: one JSON object per line

Tunables (environment): CONNS, MIB, FLOOD_SECONDS (300), STALL_SECONDS (15),
SETTLE_SECONDS (2, flood "after"), AFTER_SECONDS (5, logins "after").
"""
import json
import os
import re
import select
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter

HOST = "127.0.0.1"
MIB = 1024 * 1024
KIB = 1024
CHUNK = 64 * KIB
SAMPLE_INTERVAL = 0.05
MAX_KEEP = 64 * KIB  # bytes of server replies kept per connection


def env_num(name, default, kind=int):
    value = os.environ.get(name)
    return kind(value) if value else default


# --- RSS -----------------------------------------------------------------------

def proc_status(pid, field):
    """A /proc/PID/status field in KiB (VmRSS, VmHWM); None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


class Sampler:
    """VmRSS every 50 ms in a thread, until stopped or `limit` seconds pass."""

    def __init__(self, pid, limit):
        self.pid, self.limit = pid, limit
        self.samples = []
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.hwm_before = proc_status(pid, "VmHWM")

    def run(self):
        end = time.monotonic() + self.limit
        max_samples = int(self.limit / SAMPLE_INTERVAL) + 10
        while not self.stop_event.is_set() and time.monotonic() < end and len(self.samples) < max_samples:
            rss = proc_status(self.pid, "VmRSS")
            if rss is None:
                break
            self.samples.append(rss)
            self.stop_event.wait(SAMPLE_INTERVAL)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(timeout=5)
        self.hwm_after = proc_status(self.pid, "VmHWM")

    def peak(self):
        """The highest sampled RSS; when VmHWM grew during the run, the
        process's own high-water mark is exact and catches spikes shorter
        than the sampling interval."""
        sampled = max(self.samples) if self.samples else None
        exact = None
        if self.hwm_before is not None and self.hwm_after is not None and self.hwm_after > self.hwm_before:
            exact = self.hwm_after
        candidates = [v for v in (sampled, exact) if v is not None]
        return (max(candidates) if candidates else None), sampled


# --- Line reading --------------------------------------------------------------

class Lines:
    """Buffered CRLF lines from a socket with a deadline per call."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def line(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no complete line")
            self.sock.settimeout(left)
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError("closed by server")
            self.buf += data
            if len(self.buf) > MAX_KEEP:
                raise ConnectionError("line too long")
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r")


def read_greeting(lines, proto, timeout=10):
    """The greeting's lines; SMTP greetings may be multi-line (`220-`)."""
    first = lines.line(timeout)
    got = [first]
    if proto in ("smtp", "submissions"):
        count = 0
        while got[-1][3:4] == b"-" and count < 100:
            got.append(lines.line(timeout))
            count += 1
    return b"\n".join(got)


GREETING_OK = {
    "imap": lambda g: g.startswith(b"* OK"),
    "pop3": lambda g: g.startswith(b"+OK"),
    "smtp": lambda g: g.startswith(b"220"),
}

ERROR_LINE = {
    "imap": re.compile(rb"^(\*|\S+) BAD\b", re.M),
    "pop3": re.compile(rb"^-ERR\b", re.M),
    "smtp": re.compile(rb"^500[ -]5\.5\.2\b", re.M),
}


# --- flood -----------------------------------------------------------------------

def readable(sock):
    poller = select.poll()
    poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def flood_conn(proto, port, total, barrier, deadline, stall, result):
    r = result
    sock = None
    try:
        sock = socket.create_connection((HOST, port), timeout=10)
        lines = Lines(sock)
        greeting = read_greeting(lines, proto)
        r["greeting"] = greeting[:120].decode("latin-1")
        r["greeting_ok"] = GREETING_OK[proto](greeting)
        received = bytearray(lines.buf)  # anything after the greeting
    except OSError as e:
        r["end"] = f"connect/greeting: {type(e).__name__}: {e}"
        received = None
    try:
        barrier.wait(timeout=60)
    except threading.BrokenBarrierError:
        pass
    if received is None:
        if sock:
            sock.close()
        return
    r["connected"] = True

    def take(data):
        if len(received) < MAX_KEEP:
            received.extend(data[: MAX_KEEP - len(received)])

    payload = b"A" * CHUNK
    view = memoryview(payload)
    sent, closed, end = 0, False, None
    started = time.monotonic()
    sock.settimeout(stall)
    # Bounded in count (each send moves at least one byte or raises) and in
    # time (the deadline, and `stall` seconds per blocked send).
    while sent < total:
        if time.monotonic() > deadline:
            end = "deadline"
            break
        try:
            n = sock.send(view[: min(CHUNK, total - sent)])
        except socket.timeout:
            end = f"send stalled {stall}s"
            break
        except BrokenPipeError:
            closed, end = True, "EPIPE"
            break
        except ConnectionResetError:
            closed, end = True, "ECONNRESET"
            break
        except OSError as e:
            closed, end = True, f"send: {e.strerror or e}"
            break
        sent += n
        # Whatever the server said so far, without blocking.
        try:
            reads = 0
            while reads < 16 and readable(sock):
                reads += 1
                data = sock.recv(65536)
                if not data:
                    closed, end = True, "EOF while sending"
                    break
                take(data)
        except ConnectionResetError:
            closed, end = True, "ECONNRESET (recv)"
        except OSError as e:
            closed, end = True, f"recv: {e.strerror or e}"
        if closed:
            break
    r["seconds_sending"] = round(time.monotonic() - started, 3)
    if end is None:
        end = "all sent"
    # Collect the rest of the reply; if we are not yet closed, wait a little
    # for the server to close (EOF or RST) and note whether it does.
    wait_until = time.monotonic() + (10 if not closed else 3)
    reads = 0
    while time.monotonic() < wait_until and reads < 10000:
        reads += 1
        try:
            sock.settimeout(max(0.05, wait_until - time.monotonic()))
            data = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        except OSError:
            closed = True
            break
        if not data:
            closed = True
            break
        take(data)
    sock.close()
    r["closed_by_server"] = closed
    r["end"] = end
    r["bytes_sent"] = sent
    r["error_reply"] = bool(ERROR_LINE[proto].search(bytes(received)))
    r["reply"] = bytes(received[:300]).decode("latin-1")


def flood(proto, port, pid):
    conns = env_num("CONNS", 50)
    total = env_num("MIB", 100) * MIB
    seconds = env_num("FLOOD_SECONDS", 300, float)
    stall = env_num("STALL_SECONDS", 15, float)
    settle = env_num("SETTLE_SECONDS", 2, float)
    baseline = proc_status(pid, "VmRSS")
    results = [{"conn": i, "connected": False, "closed_by_server": False, "error_reply": False,
                "bytes_sent": 0, "end": None} for i in range(conns)]
    barrier = threading.Barrier(conns)
    start = time.monotonic()
    deadline = start + seconds
    with Sampler(pid, seconds + 120) as sampler:
        threads = [threading.Thread(target=flood_conn, args=(proto, port, total, barrier, deadline, stall, results[i]),
                                    daemon=True) for i in range(conns)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(1, deadline + 90 - time.monotonic()))
    elapsed = time.monotonic() - start
    time.sleep(settle)
    after = proc_status(pid, "VmRSS")
    peak, sampled = sampler.peak()
    sent = [r["bytes_sent"] for r in results if r["connected"]]
    ok = sum(1 for r in results if r["closed_by_server"] and r["error_reply"])
    return {
        "kind": "flood", "proto": proto, "port": port, "connections": conns, "mib_each": total // MIB,
        "connected": sum(1 for r in results if r["connected"]),
        "closed_by_server": sum(1 for r in results if r["closed_by_server"]),
        "error_reply": sum(1 for r in results if r["error_reply"]),
        "closed_with_error": ok,
        "bytes_sent_min": min(sent) if sent else None,
        "bytes_sent_max": max(sent) if sent else None,
        "bytes_sent_total": sum(sent),
        "ends": dict(Counter(str(r["end"]) for r in results)),
        "seconds": round(elapsed, 2),
        "baseline_kib": baseline, "peak_kib": peak, "peak_sampled_kib": sampled,
        "hwm_before_kib": sampler.hwm_before, "hwm_after_kib": sampler.hwm_after,
        "after_kib": after, "settle_seconds": settle, "samples": len(sampler.samples),
        "server_alive": after is not None,
        "pass": bool(baseline is not None and peak is not None and after is not None
                     and peak < baseline + 32 * KIB and ok == conns),
        "per_connection": results,
    }


# --- logins ------------------------------------------------------------------------

def client_context(alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def imap_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tagged(lines, tag, timeout):
    """Reads lines until the one tagged `tag`; returns it."""
    end = time.monotonic() + timeout
    for _ in range(1000):
        line = lines.line(max(0.05, end - time.monotonic()))
        if line.startswith(tag + b" "):
            return line
    raise ConnectionError("no tagged reply")


def one_login(port, user, password, barrier, result):
    ctx = client_context()
    raw = sock = None
    try:
        raw = socket.create_connection((HOST, port), timeout=30)
        sock = ctx.wrap_socket(raw, server_hostname="localhost")
        lines = Lines(sock)
        greeting = read_greeting(lines, "imap", timeout=30)
        if not greeting.startswith(b"* OK"):
            result["outcome"] = "bad greeting"
            result["detail"] = greeting[:120].decode("latin-1")
    except (OSError, ssl.SSLError) as e:
        result["outcome"] = "connect error"
        result["detail"] = f"{type(e).__name__}: {e}"[:200]
        if raw is not None and sock is None:
            raw.close()
    try:
        barrier.wait(timeout=60)
    except threading.BrokenBarrierError:
        pass
    if result.get("outcome"):
        if sock:
            sock.close()
        return
    try:
        t0 = time.monotonic()
        sock.sendall(f"a LOGIN {imap_quote(user)} {imap_quote(password)}\r\n".encode())
        reply = tagged(lines, b"a", 60)
        result["login_ms"] = round((time.monotonic() - t0) * 1000, 1)
        result["detail"] = reply[:160].decode("latin-1")
        if reply.startswith(b"a OK"):
            result["outcome"] = "ok"
        elif b"[UNAVAILABLE]" in reply:
            result["outcome"] = "unavailable"
        elif b"[LIMIT]" in reply:
            result["outcome"] = "limit"
        else:
            result["outcome"] = "refused"
        sock.sendall(b"b LOGOUT\r\n")
        try:
            tagged(lines, b"b", 15)
        except (OSError, ConnectionError):
            pass  # a server may close right after BYE
    except (OSError, ssl.SSLError, ConnectionError) as e:
        result["outcome"] = "error"
        result["detail"] = f"{type(e).__name__}: {e}"[:200]
    finally:
        try:
            sock.close()
        except OSError:
            pass


def logins(port, user, password, pid, rounds, n):
    after_wait = env_num("AFTER_SECONDS", 5, float)
    baseline = proc_status(pid, "VmRSS")
    outcomes, latencies, details = Counter(), [], Counter()
    per_round = []
    start = time.monotonic()
    with Sampler(pid, rounds * 200 + 60) as sampler:
        for rnd in range(rounds):
            results = [{} for _ in range(n)]
            barrier = threading.Barrier(n)
            threads = [threading.Thread(target=one_login, args=(port, user, password, barrier, results[i]), daemon=True)
                       for i in range(n)]
            for t in threads:
                t.start()
            round_end = time.monotonic() + 180
            for t in threads:
                t.join(timeout=max(1, round_end - time.monotonic()))
            c = Counter(r.get("outcome", "timeout") for r in results)
            per_round.append(dict(c))
            outcomes.update(c)
            latencies += [r["login_ms"] for r in results if "login_ms" in r]
            details.update(r["detail"] for r in results if r.get("outcome") not in ("ok", None) and "detail" in r)
    elapsed = time.monotonic() - start
    time.sleep(after_wait)
    after = proc_status(pid, "VmRSS")
    peak, sampled = sampler.peak()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else None
    mem_ok = bool(baseline is not None and peak is not None and after is not None
                  and peak < 128 * KIB and abs(after - baseline) <= 32 * KIB)
    return {
        "kind": "logins", "port": port, "rounds": rounds, "parallel": n, "attempts": rounds * n,
        "ok": outcomes.get("ok", 0), "unavailable": outcomes.get("unavailable", 0),
        "limit": outcomes.get("limit", 0), "refused": outcomes.get("refused", 0),
        "errors": sum(v for k, v in outcomes.items() if k not in ("ok", "unavailable", "limit", "refused")),
        "outcomes": dict(outcomes), "per_round": per_round, "other_replies": dict(details.most_common(5)),
        "login_p50_ms": pick(0.5), "login_max_ms": latencies[-1] if latencies else None,
        "seconds": round(elapsed, 2),
        "baseline_kib": baseline, "peak_kib": peak, "peak_sampled_kib": sampled,
        "hwm_before_kib": sampler.hwm_before, "hwm_after_kib": sampler.hwm_after,
        "after_kib": after, "after_seconds": after_wait, "samples": len(sampler.samples),
        "server_alive": after is not None,
        "memory_pass": mem_ok,
        "pass": mem_ok and outcomes.get("ok", 0) > 0,
    }


# --- alpn --------------------------------------------------------------------------

ALPN = {  # listener -> (ALPN id, greeting protocol)
    "imaps": ("imap", "imap"),
    "pop3s": ("pop3", "pop3"),
    "submissions": ("smtp", "smtp"),
}


def tls_greeting(port, proto, alpn):
    """(greeting ok, selected ALPN, detail) for one TLS connection."""
    try:
        raw = socket.create_connection((HOST, port), timeout=15)
        with client_context(alpn).wrap_socket(raw, server_hostname="localhost") as sock:
            selected = sock.selected_alpn_protocol()
            greeting = read_greeting(Lines(sock), proto, timeout=15)
            return GREETING_OK[proto](greeting), selected, greeting[:100].decode("latin-1")
    except (OSError, ssl.SSLError) as e:
        return False, None, f"{type(e).__name__}: {e}"[:200]


def alpn(listener, port):
    right, proto = ALPN[listener]
    out = {"kind": "alpn", "listener": listener, "port": port, "right_alpn": right}
    # openssl s_client offering only http/1.1.
    try:
        p = subprocess.run(["openssl", "s_client", "-connect", f"{HOST}:{port}", "-alpn", "http/1.1"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
        text = (p.stdout + p.stderr).decode("latin-1")
        m = re.search(r"[^\n]*no application protocol[^\n]*", text, re.I)
        out["openssl"] = True
        out["openssl_refused"] = bool(m) or "alert number 120" in text
        sel = re.search(r"ALPN protocol: (\S+)", text)
        if m:
            detail = m.group(0).strip()
        elif sel:
            detail = f"negotiated ALPN {sel.group(1)}"
        else:
            tail = text.strip().splitlines()
            detail = tail[-1] if tail else f"exit {p.returncode}, no output"
        out["openssl_detail"] = detail[:200]
    except FileNotFoundError:
        out["openssl"] = False
        out["openssl_refused"] = None
    except subprocess.TimeoutExpired:
        out["openssl"] = True
        out["openssl_refused"] = False
        out["openssl_detail"] = "timed out"
    # The same with Python's ssl, as a cross-check.
    ok, selected, detail = tls_greeting(port, proto, ["http/1.1"])
    out["python_http11_refused"] = (not ok) and bool(re.search(r"NO[_ ]APPLICATION[_ ]PROTOCOL", detail, re.I))
    out["python_http11_detail"] = detail if not ok else f"greeting with ALPN {selected}: {detail}"
    # No ALPN at all: must still work.
    ok, selected, detail = tls_greeting(port, proto, None)
    out["no_alpn_greeting"], out["no_alpn_detail"] = ok, detail
    # The listener's own protocol.
    ok, selected, detail = tls_greeting(port, proto, [right])
    out["right_alpn_greeting"], out["right_alpn_selected"], out["right_alpn_detail"] = ok, selected, detail
    refused = out["openssl_refused"] if out["openssl"] else out["python_http11_refused"]
    out["pass"] = bool(refused and out["python_http11_refused"] and out["no_alpn_greeting"] and out["right_alpn_greeting"])
    return out


# --- report ------------------------------------------------------------------------

def mib(kib):
    return "?" if kib is None else f"{kib / 1024:.1f}"


def report(path):
    rows, failed = [], False
    with open(path) as f:
        items = [json.loads(line) for line in f if line.strip()]
    for it in items:
        kind, ok = it.get("kind"), bool(it.get("pass"))
        failed |= not ok
        mark = "pass" if ok else "**FAIL**"
        if kind == "flood":
            sent = f"{it['bytes_sent_min'] / MIB:.2f}–{it['bytes_sent_max'] / MIB:.2f} MiB" \
                if it["bytes_sent_min"] is not None else "-"
            rows.append((f"flood {it['proto']} ({it['connections']} × {it['mib_each']} MiB, no line end)",
                         f"{it['closed_with_error']}/{it['connections']} closed with error "
                         f"(error line {it['error_reply']}, closed {it['closed_by_server']}); sent per conn {sent}; "
                         f"ends {', '.join(f'{k}: {v}' for k, v in it['ends'].items())}",
                         f"{mib(it['baseline_kib'])} / {mib(it['peak_kib'])} / {mib(it['after_kib'])} "
                         f"(+{mib((it['peak_kib'] or 0) - (it['baseline_kib'] or 0))}; budget +32)",
                         mark))
        elif kind == "logins":
            rows.append((f"IMAPS login storm ({it['rounds']} × {it['parallel']})",
                         f"ok {it['ok']}, NO [UNAVAILABLE] {it['unavailable']}, NO [LIMIT] {it['limit']}, "
                         f"other NO/BAD {it['refused']}, errors {it['errors']}; login p50 {it['login_p50_ms']} ms, "
                         f"max {it['login_max_ms']} ms",
                         f"{mib(it['baseline_kib'])} / {mib(it['peak_kib'])} / {mib(it['after_kib'])} after "
                         f"{it['after_seconds']:g} s (peak < 128, after within 32 of baseline)",
                         mark))
        elif kind == "alpn":
            ossl = ("openssl: " + ("no_application_protocol" if it["openssl_refused"] else
                                   f"accepted ({it.get('openssl_detail', '')})")) if it["openssl"] else "openssl: not installed"
            rows.append((f"ALPN {it['listener']} ({it['port']})",
                         f"http/1.1 → {ossl}; python ssl: {'refused' if it['python_http11_refused'] else 'accepted'}; "
                         f"no ALPN → {'greeting' if it['no_alpn_greeting'] else 'FAILED: ' + it['no_alpn_detail']}; "
                         f"{it['right_alpn']} → {'greeting (selected ' + str(it['right_alpn_selected']) + ')' if it['right_alpn_greeting'] else 'FAILED: ' + it['right_alpn_detail']}",
                         "-", mark))
        elif kind == "alive":
            rows.append(("server still running at the end", "yes" if ok else "no (crashed or killed)", "-", mark))
        else:
            rows.append((f"step failed: {it.get('step', '?')}", it.get("detail", ""), "-", mark))
    print("| test | result | RSS MiB: before / peak / after | verdict |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in r) + " |")
    print()
    print("overall: " + ("FAIL" if failed or not items else "pass"))
    return 1 if failed or not items else 0


def main():
    args = sys.argv[1:]
    try:
        if args[:1] == ["flood"] and len(args) == 4 and args[1] in ERROR_LINE:
            proto, port, pid = args[1], int(args[2]), int(args[3])
            job = lambda: flood(proto, port, pid)
        elif args[:1] == ["logins"] and len(args) == 7:
            port, user, password, pid, rounds, n = args[1:]
            port, pid, rounds, n = int(port), int(pid), int(rounds), int(n)
            if not (0 < rounds <= 100 and 0 < n <= 1000):
                sys.exit("logins: ROUNDS must be 1..100 and N 1..1000")
            job = lambda: logins(port, user, password, pid, rounds, n)
        elif args[:1] == ["alpn"] and len(args) == 3 and args[1] in ALPN:
            port = int(args[2])
            job = lambda: alpn(args[1], port)
        elif args[:1] == ["report"] and len(args) == 2:
            sys.exit(report(args[1]))
        else:
            sys.exit(__doc__)
    except ValueError:
        sys.exit(__doc__)
    print(json.dumps(job()), flush=True)


if __name__ == "__main__":
    main()
