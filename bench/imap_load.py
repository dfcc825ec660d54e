#!/usr/bin/env python3
"""IMAP load for bench/imap.sh: the same client against Rampart and Dovecot,
both over implicit TLS (imaps). Python 3.11 standard library only; talks to
127.0.0.1 only; certificate verification is off (self-signed test cert).

Every subcommand prints one JSON object on stdout:

  append   PORT USERS PASSWORD COUNT SEED     APPEND COUNT generated messages to INBOX of
                                              each user (comma-separated; one connection
                                              and one thread per user, sequential APPENDs)
  single   PORT USER PASSWORD REPEAT          SELECT / FETCH ENVELOPE / UID SEARCH SUBJECT /
                                              SEARCH BODY / FETCH BODY.PEEK[] timings, fresh
                                              login each, one warm-up round, then REPEAT rounds
  steady   PORT USERS PASSWORD SECONDS PIDS   one logged-in client per user running the mixed
                                              loop; server CPU of the process trees rooted at PIDS
  idle     PORT USERS PASSWORD COUNT PIDS     COUNT authenticated connections held open
                                              (asyncio), RSS/PSS of the server trees before,
                                              with them, and after closing them
  storm    PORT USER PASSWORD TOTAL PARALLEL  TOTAL connect+TLS+LOGIN+LOGOUT over PARALLEL
                                              workers
  report   RESULTS.md JSONDIR META.json       the Markdown comparison of the JSON files
  message  SEED I                             print one generated message (for inspection)

Options (environment): SNI (server name sent in TLS; default none), CMD_TIMEOUT
(seconds per command, default 300).
"""
import asyncio
import base64
import json
import os
import random
import re
import socket
import ssl
import statistics
import sys
import threading
import time

HOST = "127.0.0.1"
SNI = os.environ.get("SNI") or None
CMD_TIMEOUT = float(os.environ.get("CMD_TIMEOUT", "300"))

CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE

# ---------------------------------------------------------------------------
# Deterministic messages

FIRST = ["Alice", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines",
         "Jonas", "Kaori", "Lars", "Maya", "Nils", "Olga", "Pedro", "Quinn", "Rosa",
         "Sven", "Tamar", "Ugo", "Vera", "Wim", "Yusuf", "Zoe", "Anika", "Bernd",
         "Carla", "Dario", "Edith"]
LAST = ["Meier", "Dubois", "Rossi", "Novak", "Silva", "Jansen", "Kowalski", "Tanaka",
        "Olsen", "Garcia", "Fischer", "Moreau", "Ricci", "Horvat", "Lindqvist", "Okafor"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.test",
           "corp.example", "lists.example.org"]
# No word contains "xyz" or "needle": those are the search probes.
WORDS = ("report meeting budget quarterly invoice project update review draft final "
         "schedule release server network backup storage customer order shipping "
         "payment contract renewal holiday office printer coffee lunch agenda notes "
         "minutes deadline team planning roadmap design feedback question answer "
         "travel hotel flight ticket conference slides summary proposal estimate "
         "migration database cluster kernel patch security audit policy training").split()
LOREM = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud "
         "exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute "
         "irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur").split()
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()


def needle_message(i):
    """Messages whose text contains the word "needle": 5 in 10,000."""
    return i % 2000 == 777


def _addr(rnd):
    f, l = rnd.choice(FIRST), rnd.choice(LAST)
    return f"{f} {l} <{f.lower()}.{l.lower()}@{rnd.choice(DOMAINS)}>"


def _paragraphs(rnd, size):
    out, n = [], 0
    while n < size:
        words = [rnd.choice(LOREM if rnd.random() < 0.7 else WORDS) for _ in range(rnd.randint(40, 90))]
        lines, line = [], []
        for w in words:
            line.append(w)
            if sum(len(x) + 1 for x in line) > 66:
                lines.append(" ".join(line))
                line = []
        if line:
            lines.append(" ".join(line))
        para = "\r\n".join(lines)
        out.append(para)
        n += len(para) + 4
    return "\r\n\r\n".join(out)


def message(seed, i):
    """Message i of a deterministic series: 1.5-6 KB, every 5th multipart/mixed
    with a base64 attachment, every 7th multipart/alternative, the rest plain."""
    rnd = random.Random(seed * 1_000_003 + i)
    t = 1_700_000_000 + i * 97
    tm = time.gmtime(t)
    date = f"{DAYS[tm.tm_wday]}, {tm.tm_mday:02d} {MONTHS[tm.tm_mon - 1]} {tm.tm_year} " \
           f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} +0000"
    subject = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 6))).capitalize() + f" #{i}"
    headers = [
        f"Return-Path: <bounce-{i}@{rnd.choice(DOMAINS)}>",
        f"Date: {date}",
        f"From: {_addr(rnd)}",
        f"To: {_addr(rnd)}",
    ]
    if rnd.random() < 0.3:
        headers.append(f"Cc: {_addr(rnd)}, {_addr(rnd)}")
    headers += [f"Subject: {subject}", f"Message-ID: <bench-{seed}-{i}@bench.example>",
                "MIME-Version: 1.0"]
    text = _paragraphs(rnd, rnd.randint(1200, 4500))
    if needle_message(i):
        text += "\r\n\r\nThe needle is in this haystack.\r\n"
    boundary = f"=_bench_{seed}_{i}"
    if i % 5 == 0:
        blob = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(600, 2500)))
        b64 = base64.encodebytes(blob).decode().replace("\n", "\r\n").rstrip()
        name = f"{rnd.choice(WORDS)}-{i}.pdf"
        headers.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
        body = (f"This is a multi-part message in MIME format.\r\n\r\n--{boundary}\r\n"
                "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
                f"{text}\r\n\r\n--{boundary}\r\n"
                f'Content-Type: application/pdf; name="{name}"\r\nContent-Transfer-Encoding: base64\r\n'
                f'Content-Disposition: attachment; filename="{name}"\r\n\r\n{b64}\r\n--{boundary}--\r\n')
    elif i % 7 == 0:
        html = "<html><body>" + "".join(f"<p>{p}</p>" for p in text.split("\r\n\r\n")) + "</body></html>"
        headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        body = (f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
                f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--{boundary}--\r\n")
    else:
        headers.append("Content-Type: text/plain; charset=us-ascii")
        body = text + "\r\n"
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


# ---------------------------------------------------------------------------
# A small blocking IMAP client

LITERAL = re.compile(rb"\{(\d+)\}\r\n$")


class ImapError(Exception):
    pass


class Imap:
    def __init__(self, port, timeout=CMD_TIMEOUT):
        raw = socket.create_connection((HOST, port), timeout=timeout)
        try:
            self.sock = CTX.wrap_socket(raw, server_hostname=SNI)
        except Exception:
            raw.close()
            raise
        self.f = self.sock.makefile("rb", buffering=256 * 1024)
        self.n = 0
        self.greeting = self.f.readline()
        if not self.greeting.startswith(b"* OK"):
            raise ImapError(f"greeting: {self.greeting[:100]!r}")

    def tls(self):
        return f"{self.sock.version()} {self.sock.cipher()[0]}"

    def response(self):
        """One logical response: (first line fragment, octets)."""
        first, total = None, 0
        while True:
            line = self.f.readline()
            if not line:
                raise ConnectionError("server closed the connection")
            total += len(line)
            if first is None:
                first = line
            m = LITERAL.search(line)
            if not m:
                return first, total
            k = int(m.group(1))
            data = self.f.read(k)
            if len(data) < k:
                raise ConnectionError("server closed the connection inside a literal")
            total += k

    def cmd(self, text, literal=None):
        """Sends one command; returns (status, untagged first lines, octets, tagged line)."""
        self.n += 1
        tag = b"a%d" % self.n
        if literal is None:
            self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        else:  # LITERAL+ (both servers announce it)
            self.sock.sendall(tag + b" " + text.encode() + b" {%d+}\r\n" % len(literal) + literal + b"\r\n")
        untagged, octets = [], 0
        while True:
            first, n = self.response()
            octets += n
            if first.startswith(tag + b" "):
                status = first[len(tag) + 1:].split(b" ", 1)[0].decode(errors="replace")
                return status, untagged, octets, first
            untagged.append(first)

    def ok(self, text, literal=None):
        status, untagged, octets, line = self.cmd(text, literal)
        if status != "OK":
            raise ImapError(f"{text[:40]}: {line[:200]!r}")
        return untagged, octets

    def login(self, user, password):
        self.ok(f'LOGIN "{user}" "{password}"')

    def select(self, box="INBOX"):
        untagged, _ = self.ok(f"SELECT {box}")
        return exists_of(untagged, 0)

    def close(self):
        try:
            self.sock.settimeout(5)
            self.cmd("LOGOUT")
        except Exception:
            pass
        try:
            self.sock.close()
        except Exception:
            pass


EXISTS = re.compile(rb"^\* (\d+) EXISTS")
FETCH = re.compile(rb"^\* \d+ FETCH")


def exists_of(untagged, default):
    for line in untagged:
        m = EXISTS.match(line)
        if m:
            default = int(m.group(1))
    return default


def search_hits(untagged):
    hits = []
    for line in untagged:
        if line.startswith(b"* SEARCH"):
            hits += line[8:].split()
    return len(hits)


def fetches(untagged):
    return sum(1 for line in untagged if FETCH.match(line))


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def ms(x):
    return None if x is None else round(x * 1000, 2)


# ---------------------------------------------------------------------------
# /proc: process trees, CPU and memory

def tree(root):
    """PIDs of root and all its descendants."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def cpu_seconds(roots):
    """utime+stime of every live process in the trees, plus cutime+cstime
    (children that exited and were reaped, e.g. Dovecot processes that ended)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for root in roots:
        for p in tree(root):
            try:
                with open(f"/proc/{p}/stat") as f:
                    s = f.read()
            except OSError:
                continue
            fields = s[s.rindex(")") + 2:].split()
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / tick


def memory(roots):
    """Sum of Rss and Pss (KiB, smaps_rollup) over the trees, and the process count."""
    rss = pss = n = 0
    for root in roots:
        for p in tree(root):
            try:
                with open(f"/proc/{p}/smaps_rollup") as f:
                    text = f.read()
            except OSError:
                continue
            n += 1
            for line in text.splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
    return {"rss_kib": rss, "pss_kib": pss, "processes": n}


# ---------------------------------------------------------------------------
# append

def cmd_append(port, users, password, count, seed):
    users = users.split(",")
    results = [None] * len(users)

    def run(k, user):
        lat, errors, octets = [], [], 0
        msgs = [message(seed + k, i) for i in range(count)]  # generated before the clock starts
        c = Imap(port)
        c.login(user, password)
        start = time.perf_counter()
        deadline = time.monotonic() + 3600
        for msg in msgs:
            if time.monotonic() > deadline:
                errors.append("deadline")
                break
            octets += len(msg)
            t = time.perf_counter()
            status, _, _, line = c.cmd("APPEND INBOX", msg)
            lat.append(time.perf_counter() - t)
            if status != "OK":
                errors.append(line[:200].decode(errors="replace"))
        elapsed = time.perf_counter() - start
        exists = c.select()
        tls = c.tls()
        c.close()
        results[k] = {"user": user, "appended": len(lat) - len(errors), "seconds": elapsed,
                      "octets": octets, "exists": exists, "lat": lat, "errors": errors, "tls": tls}

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(k, u)) for k, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=4000)
    elapsed = time.perf_counter() - start
    done = [r for r in results if r]
    lat = [x for r in done for x in r["lat"]]
    errors = [e for r in done for e in r["errors"]]
    total = sum(r["appended"] for r in done)
    return {"users": len(users), "per_user": count, "appended": total, "seconds": round(elapsed, 3),
            "rate": round(total / elapsed, 1), "octets": sum(r["octets"] for r in done),
            "p50_ms": ms(pct(lat, 0.5)), "p99_ms": ms(pct(lat, 0.99)),
            "exists": [r["exists"] for r in done], "errors": len(errors), "error_samples": errors[:5],
            "failed_threads": len(users) - len(done), "tls": done[0]["tls"] if done else None}


# ---------------------------------------------------------------------------
# single

SINGLE = [
    ("SELECT INBOX", None),
    ("FETCH 1:* (FLAGS ENVELOPE)", "fetches"),
    ('UID SEARCH SUBJECT "xyz"', "hits"),
    ('SEARCH BODY "needle"', "hits"),
    ("FETCH 1:100 (BODY.PEEK[])", "fetches"),
]


def cmd_single(port, user, password, repeat):
    times = {name: [] for name, _ in SINGLE}
    info = {}
    errors = []
    for rnd in range(repeat + 1):  # round 0 warms up and is not counted
        for name, what in SINGLE:
            try:
                c = Imap(port)
                c.login(user, password)
                if name.startswith("SELECT"):
                    t = time.perf_counter()
                    status, untagged, octets, line = c.cmd(name)
                    dt = time.perf_counter() - t
                    result = exists_of(untagged, None)
                else:
                    c.select()
                    t = time.perf_counter()
                    status, untagged, octets, line = c.cmd(name)
                    dt = time.perf_counter() - t
                    result = fetches(untagged) if what == "fetches" else search_hits(untagged)
                c.close()
            except Exception as e:  # noqa: BLE001 - reported
                errors.append(f"{name}: {e!r}")
                continue
            if status != "OK":
                errors.append(f"{name}: {line[:200]!r}")
                continue
            if rnd > 0:
                times[name].append(dt)
            info[name] = {"result": result, "octets": octets}
    out = {}
    for name, _ in SINGLE:
        v = times[name]
        out[name] = {"median_ms": ms(statistics.median(v)) if v else None,
                     "runs_ms": [ms(x) for x in v], **info.get(name, {})}
    return {"ops": out, "errors": errors}


# ---------------------------------------------------------------------------
# steady

CLASSES = ["SELECT", "FETCH 1:* (FLAGS)", "FETCH r (ENVELOPE BODY.PEEK[HEADER])",
           "FETCH r BODY.PEEK[]", "SEARCH FROM", "STORE +FLAGS", "STORE -FLAGS",
           "APPEND", "NOOP"]
MAX_ITERATIONS = 1_000_000


def cmd_steady(port, users, password, seconds, pids):
    users = users.split(",")
    roots = [int(p) for p in pids.split(",")]
    n = len(users)
    lat = [{c: [] for c in CLASSES} for _ in range(n)]
    errs = [{c: 0 for c in CLASSES} for _ in range(n)]
    samples, crashes = [], []
    ready = threading.Semaphore(0)
    go = threading.Event()
    t_start = [0.0]
    ends = [0.0] * n

    def connect(user):
        c = Imap(port, timeout=60)
        c.login(user, password)
        return c, c.select()

    # A pool of messages per client, made unique per APPEND by a first header
    # line (so that no server can store a repeat as a duplicate).
    pools = [[message(9000 + k, 100_000 + i) for i in range(40)] for k in range(n)]

    def run(k, user):
        rnd = random.Random(4242 + k)
        try:
            c, exists = connect(user)
        except Exception as e:  # noqa: BLE001
            crashes.append(f"{user} connect: {e!r}")
            ready.release()
            return
        ready.release()
        go.wait(timeout=600)
        deadline = t_start[0] + seconds
        appended = 0
        reconnects = 0
        it = 0
        while it < MAX_ITERATIONS and time.perf_counter() < deadline:
            it += 1
            r = rnd.randint(1, max(1, exists))
            ops = [
                ("SELECT", "SELECT INBOX", None),
                ("FETCH 1:* (FLAGS)", "FETCH 1:* (FLAGS)", None),
                ("FETCH r (ENVELOPE BODY.PEEK[HEADER])", f"FETCH {r} (ENVELOPE BODY.PEEK[HEADER])", None),
                ("FETCH r BODY.PEEK[]", f"FETCH {rnd.randint(1, max(1, exists))} BODY.PEEK[]", None),
                ("SEARCH FROM", f'SEARCH FROM "{rnd.choice(FIRST)}"', None),
                ("STORE +FLAGS", f"STORE {r} +FLAGS (\\Flagged)", None),
                ("STORE -FLAGS", f"STORE {r} -FLAGS (\\Flagged)", None),
                ("APPEND", "APPEND INBOX",
                 b"X-Bench-Seq: %d-%d\r\n" % (k, appended) + pools[k][appended % len(pools[k])]),
                ("NOOP", "NOOP", None),
            ]
            for cls, text, lit in ops:
                if time.perf_counter() >= deadline:
                    break
                try:
                    t = time.perf_counter()
                    status, untagged, _, line = c.cmd(text, lit)
                    lat[k][cls].append(time.perf_counter() - t)
                except Exception as e:  # noqa: BLE001
                    errs[k][cls] += 1
                    crashes.append(f"{user} {cls}: {e!r}")
                    reconnects += 1
                    try:
                        c.sock.close()
                    except Exception:
                        pass
                    if reconnects > 3 or time.perf_counter() >= deadline:
                        ends[k] = time.perf_counter()
                        return
                    try:
                        c, exists = connect(user)
                    except Exception as e2:  # noqa: BLE001
                        crashes.append(f"{user} reconnect: {e2!r}")
                        ends[k] = time.perf_counter()
                        return
                    break
                if status != "OK":
                    errs[k][cls] += 1
                    if len(samples) < 10:
                        samples.append(f"{cls}: {line[:200]!r}")
                if cls == "APPEND":
                    appended += 1
                exists = exists_of(untagged, exists)
        ends[k] = time.perf_counter()
        c.close()

    threads = [threading.Thread(target=run, args=(k, u), daemon=True) for k, u in enumerate(users)]
    for t in threads:
        t.start()
    for _ in range(n):
        ready.acquire(timeout=300)
    # The servers' CPU at rest (clients logged in, nothing sent) over 3 s.
    rest0 = cpu_seconds(roots)
    time.sleep(3)
    rest = (cpu_seconds(roots) - rest0) / 3
    cpu0 = cpu_seconds(roots)
    own0 = os.times()
    t_start[0] = time.perf_counter()
    go.set()
    for t in threads:
        t.join(timeout=seconds + 600)
    t_end = max(ends + [t_start[0] + 0.001])
    cpu1 = cpu_seconds(roots)
    own1 = os.times()
    elapsed = t_end - t_start[0]
    out = {"clients": n, "seconds": round(elapsed, 3), "classes": {}}
    total = 0
    for cls in CLASSES:
        v = [x for k in range(n) for x in lat[k][cls]]
        e = sum(errs[k][cls] for k in range(n))
        total += len(v)
        out["classes"][cls] = {"ops": len(v), "ops_s": round(len(v) / elapsed, 1),
                               "p50_ms": ms(pct(v, 0.5)), "p99_ms": ms(pct(v, 0.99)),
                               "max_ms": ms(max(v) if v else None), "errors": e}
    out["total_ops"] = total
    out["total_ops_s"] = round(total / elapsed, 1)
    out["server_cpu_s"] = round(cpu1 - cpu0, 2)
    out["server_cpu_ms_per_op"] = round((cpu1 - cpu0) * 1000 / total, 3) if total else None
    out["server_cpu_at_rest_per_s"] = round(rest, 3)
    out["client_cpu_s"] = round((own1.user + own1.system) - (own0.user + own0.system), 2)
    out["errors"] = sum(c["errors"] for c in out["classes"].values())
    out["error_samples"] = samples
    out["crashes"] = crashes[:10]
    out["hung_threads"] = sum(1 for t in threads if t.is_alive())
    return out


# ---------------------------------------------------------------------------
# idle

async def _read_tagged(reader, tag):
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        if line.startswith(tag):
            return line


async def _idle(port, users, password, count, roots):
    before = memory(roots)
    conns, errors = [], []
    sem = asyncio.Semaphore(20)

    async def one(i):
        user = users[i % len(users)]
        async with sem:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(HOST, port, ssl=CTX, server_hostname=SNI,
                                            ssl_handshake_timeout=60), 60)
            except Exception as e:  # noqa: BLE001
                errors.append(f"connect: {e!r}")
                return
            try:
                await asyncio.wait_for(reader.readline(), 60)
                writer.write(f'a1 LOGIN "{user}" "{password}"\r\n'.encode())
                line = await asyncio.wait_for(_read_tagged(reader, b"a1 "), 60)
                if not line.startswith(b"a1 OK"):
                    errors.append(f"login: {line[:120]!r}")
                    writer.close()
                    return
            except Exception as e:  # noqa: BLE001
                errors.append(f"login: {e!r}")
                writer.close()
                return
            conns.append((reader, writer))

    t0 = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(count))), 900)
    except asyncio.TimeoutError:
        errors.append("opening the connections took more than 900 s")
    opened_s = time.perf_counter() - t0
    await asyncio.sleep(3)
    held = memory(roots)

    async def noop(rw):
        reader, writer = rw
        try:
            writer.write(b"a2 NOOP\r\n")
            line = await asyncio.wait_for(_read_tagged(reader, b"a2 "), 60)
            return line.startswith(b"a2 OK")
        except Exception:  # noqa: BLE001
            return False

    alive = sum(await asyncio.gather(*(noop(rw) for rw in conns)))

    for _, writer in conns:
        try:
            writer.write(b"a3 LOGOUT\r\n")
            writer.close()
        except Exception:  # noqa: BLE001
            pass
    for _, writer in conns:
        try:
            await asyncio.wait_for(writer.wait_closed(), 5)
        except Exception:  # noqa: BLE001
            pass
    await asyncio.sleep(3)
    after = memory(roots)
    n = len(conns)
    return {"requested": count, "opened": n, "alive_after_hold": alive, "open_seconds": round(opened_s, 2),
            "before": before, "held": held, "after_close": after,
            "rss_per_conn_kib": round((held["rss_kib"] - before["rss_kib"]) / n, 1) if n else None,
            "pss_per_conn_kib": round((held["pss_kib"] - before["pss_kib"]) / n, 1) if n else None,
            "errors": len(errors), "error_samples": errors[:5]}


def cmd_idle(port, users, password, count, pids):
    return asyncio.run(_idle(port, users.split(","), password, count, [int(p) for p in pids.split(",")]))


# ---------------------------------------------------------------------------
# storm

def cmd_storm(port, user, password, total, parallel):
    lock = threading.Lock()
    left = [total]
    lat, errors = [], []

    def worker():
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            t = time.perf_counter()
            try:
                c = Imap(port, timeout=60)
                status, _, _, line = c.cmd(f'LOGIN "{user}" "{password}"')
                dt = time.perf_counter() - t
                c.close()
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
                continue
            if status == "OK":
                lat.append(dt)
            else:
                errors.append(line[:200].decode(errors="replace"))

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=700)
    elapsed = time.perf_counter() - start
    return {"logins": len(lat), "parallel": parallel, "seconds": round(elapsed, 3),
            "rate": round(len(lat) / elapsed, 1),
            "p50_ms": ms(pct(lat, 0.5)), "p99_ms": ms(pct(lat, 0.99)),
            "errors": len(errors), "error_samples": errors[:5]}


# ---------------------------------------------------------------------------
# report

def fmt(x, nd=1):
    if x is None:
        return "–"
    if isinstance(x, float) and abs(x) >= 100:
        return f"{x:,.0f}".replace(",", " ")
    if isinstance(x, int):
        return f"{x:,}".replace(",", " ")
    return f"{x:.{nd}f}" if isinstance(x, float) else str(x)


def cmd_report(out_path, jdir, meta_path):
    def load(name):
        try:
            with open(os.path.join(jdir, name + ".json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    meta = json.load(open(meta_path))
    rows = []  # (label, rampart, dovecot, higher_is_better, note)

    def row(label, r, d, higher, note="", nd=1):
        rows.append((label, r, d, higher, note, nd))

    def get(obj, *path):
        for p in path:
            if obj is None:
                return None
            obj = obj.get(p) if isinstance(obj, dict) else None
        return obj

    R, D = "rampart", "dovecot"
    ra, da = load(f"append-{R}"), load(f"append-{D}")
    n = meta["messages"]
    row(f"APPEND {fmt(n)} (1 connection), seconds", get(ra, "seconds"), get(da, "seconds"), False,
        f"msg/s {fmt(get(ra, 'rate'))} vs {fmt(get(da, 'rate'))}; p99 {fmt(get(ra, 'p99_ms'))} vs {fmt(get(da, 'p99_ms'))} ms; "
        f"errors {get(ra, 'errors')} / {get(da, 'errors')}; EXISTS after {get(ra, 'exists')} / {get(da, 'exists')}")
    rs, ds = load(f"single-{R}"), load(f"single-{D}")
    for name, what in SINGLE:
        r, d = get(rs, "ops", name), get(ds, "ops", name)
        note = ""
        if what or name.startswith("SELECT"):
            label = {"fetches": "FETCH responses", "hits": "hits", None: "EXISTS"}[what]
            note = f"{label} {get(r, 'result')} / {get(d, 'result')}"
            if get(r, "result") != get(d, "result"):
                note += " **(differ)**"
        note += f"; runs {get(r, 'runs_ms')} / {get(d, 'runs_ms')}"
        row(f"{name}, ms (median of {meta['repeat']}, warm)", get(r, "median_ms"), get(d, "median_ms"), False, note, 2)
    rl, dl = load(f"load-{R}"), load(f"load-{D}")
    row(f"load {meta['clients']} × {meta['per_client']} messages ({meta['clients']} connections), seconds",
        get(rl, "seconds"), get(dl, "seconds"), False,
        f"msg/s {fmt(get(rl, 'rate'))} vs {fmt(get(dl, 'rate'))}; errors {get(rl, 'errors')} / {get(dl, 'errors')}")
    rw, dw = load(f"steady-{R}"), load(f"steady-{D}")
    row(f"steady: all operations/s ({meta['clients']} clients, {meta['seconds']} s)",
        get(rw, "total_ops_s"), get(dw, "total_ops_s"), True,
        f"ops {get(rw, 'total_ops')} / {get(dw, 'total_ops')}; errors {get(rw, 'errors')} / {get(dw, 'errors')}")
    for cls in CLASSES:
        r, d = get(rw, "classes", cls), get(dw, "classes", cls)
        row(f"steady {cls}: ops/s", get(r, "ops_s"), get(d, "ops_s"), True,
            f"p50 {fmt(get(r, 'p50_ms'), 2)} / {fmt(get(d, 'p50_ms'), 2)} ms; errors {get(r, 'errors')} / {get(d, 'errors')}")
        row(f"steady {cls}: p99 ms", get(r, "p99_ms"), get(d, "p99_ms"), False,
            f"max {fmt(get(r, 'max_ms'), 1)} / {fmt(get(d, 'max_ms'), 1)} ms", 2)
    row("steady: server CPU seconds", get(rw, "server_cpu_s"), get(dw, "server_cpu_s"), False,
        f"of {2 * (meta['seconds'])} core-seconds available; load generator used "
        f"{get(rw, 'client_cpu_s')} / {get(dw, 'client_cpu_s')} s; at rest just before: "
        f"{get(rw, 'server_cpu_at_rest_per_s')} / {get(dw, 'server_cpu_at_rest_per_s')} CPU-s per s")
    row("steady: server CPU ms per operation", get(rw, "server_cpu_ms_per_op"), get(dw, "server_cpu_ms_per_op"), False, "", 3)
    ri, di = load(f"idle-{R}"), load(f"idle-{D}")
    row(f"idle {meta['idle']}: RSS before, MiB", _mib(get(ri, "before", "rss_kib")), _mib(get(di, "before", "rss_kib")), False,
        f"processes {get(ri, 'before', 'processes')} / {get(di, 'before', 'processes')}")
    row(f"idle {meta['idle']}: RSS held, MiB", _mib(get(ri, "held", "rss_kib")), _mib(get(di, "held", "rss_kib")), False,
        f"processes {get(ri, 'held', 'processes')} / {get(di, 'held', 'processes')}; opened {get(ri, 'opened')} / {get(di, 'opened')}, "
        f"alive {get(ri, 'alive_after_hold')} / {get(di, 'alive_after_hold')}, in {get(ri, 'open_seconds')} / {get(di, 'open_seconds')} s")
    row(f"idle {meta['idle']}: RSS per connection, KiB", get(ri, "rss_per_conn_kib"), get(di, "rss_per_conn_kib"), False,
        "RSS counts shared pages once per process")
    row(f"idle {meta['idle']}: PSS before, MiB", _mib(get(ri, "before", "pss_kib")), _mib(get(di, "before", "pss_kib")), False)
    row(f"idle {meta['idle']}: PSS held, MiB", _mib(get(ri, "held", "pss_kib")), _mib(get(di, "held", "pss_kib")), False)
    row(f"idle {meta['idle']}: PSS per connection, KiB", get(ri, "pss_per_conn_kib"), get(di, "pss_per_conn_kib"), False,
        f"after closing: PSS {_mib(get(ri, 'after_close', 'pss_kib'))} / {_mib(get(di, 'after_close', 'pss_kib'))} MiB; "
        f"errors {get(ri, 'errors')} / {get(di, 'errors')}")
    rt, dt, dta = load(f"storm-{R}"), load(f"storm-{D}"), load(f"storm-{D}-argon2")
    row(f"login storm {meta['storm']} / {meta['storm_parallel']} parallel: logins/s (Dovecot {{PLAIN}})",
        get(rt, "rate"), get(dt, "rate"), True,
        f"p50 {fmt(get(rt, 'p50_ms'))} / {fmt(get(dt, 'p50_ms'))} ms, p99 {fmt(get(rt, 'p99_ms'))} / {fmt(get(dt, 'p99_ms'))} ms; "
        f"errors {get(rt, 'errors')} / {get(dt, 'errors')}")
    if dta:
        row("login storm: logins/s (Dovecot {ARGON2ID}, Rampart's own hash)", get(rt, "rate"), get(dta, "rate"), True,
            f"p50 {fmt(get(rt, 'p50_ms'))} / {fmt(get(dta, 'p50_ms'))} ms, p99 {fmt(get(rt, 'p99_ms'))} / {fmt(get(dta, 'p99_ms'))} ms; "
            f"errors {get(rt, 'errors')} / {get(dta, 'errors')}")

    lines = [f"# bench/imap.sh — {meta['date']}", "",
             f"Machine: {meta['machine']}. Rampart {meta['rampart']} (SQLite); Dovecot {meta['dovecot']}.",
             f"Transport: {meta['transport']}.",
             f"Parameters: MESSAGES={meta['messages']} CLIENTS={meta['clients']} PER_CLIENT={meta['per_client']} "
             f"SECONDS={meta['seconds']} IDLE={meta['idle']} STORM={meta['storm']}/{meta['storm_parallel']}. "
             f"TLS negotiated: Rampart {get(ra, 'tls')}, Dovecot {get(da, 'tls')}.", "",
             "R/D is Rampart divided by Dovecot; *better* names the better of the two "
             "(within 5%: ≈).", "",
             "| measurement | Rampart | Dovecot | R/D | better | notes |",
             "| --- | ---: | ---: | ---: | --- | --- |"]
    for label, r, d, higher, note, nd in rows:
        ratio = better = "–"
        if isinstance(r, (int, float)) and isinstance(d, (int, float)) and d:
            q = r / d
            ratio = f"{q:.2f}"
            if r == 0 and d == 0:
                better = "≈"
            elif abs(q - 1) <= 0.05:
                better = "≈"
            else:
                better = "Rampart" if (q > 1) == higher else "Dovecot"
        lines.append(f"| {label} | {fmt(r, nd)} | {fmt(d, nd)} | {ratio} | {better} | {note} |")
    problems = []
    for name in [f"{k}-{s}" for k in ("append", "single", "load", "steady", "idle", "storm") for s in (R, D)] + [f"storm-{D}-argon2"]:
        j = load(name)
        if j is None:
            problems.append(f"{name}: no result")
            continue
        for key in ("error_samples", "crashes"):
            for e in j.get(key) or []:
                problems.append(f"{name}: {e}")
        if j.get("errors") and not isinstance(j["errors"], int):
            for e in j["errors"]:
                problems.append(f"{name}: {e}")
    if meta.get("notes"):
        lines += ["", "Notes:", ""] + [f"- {x}" for x in meta["notes"]]
    lines += ["", "Errors seen:" if problems else "Errors seen: none.", ""] + [f"- `{p}`" for p in problems[:40]]
    text = "\n".join(lines) + "\n"
    with open(out_path, "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return None


def _mib(kib):
    return None if kib is None else round(kib / 1024, 1)


# ---------------------------------------------------------------------------

def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, a = argv[1], argv[2:]
    if cmd == "append":
        res = cmd_append(int(a[0]), a[1], a[2], int(a[3]), int(a[4]))
    elif cmd == "single":
        res = cmd_single(int(a[0]), a[1], a[2], int(a[3]))
    elif cmd == "steady":
        res = cmd_steady(int(a[0]), a[1], a[2], float(a[3]), a[4])
    elif cmd == "idle":
        res = cmd_idle(int(a[0]), a[1], a[2], int(a[3]), a[4])
    elif cmd == "storm":
        res = cmd_storm(int(a[0]), a[1], a[2], int(a[3]), int(a[4]))
    elif cmd == "report":
        cmd_report(a[0], a[1], a[2])
        return 0
    elif cmd == "message":
        sys.stdout.buffer.write(message(int(a[0]), int(a[1])))
        return 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    json.dump(res, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
