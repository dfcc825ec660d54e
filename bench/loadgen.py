#!/usr/bin/env python3
"""SMTP load for the benchmark: latency of end-of-DATA -> 250, and idle
connections. Only talks to 127.0.0.1.

  loadgen.py latency PORT SESSIONS MESSAGES SIZE RCPT   -> JSON {rate, p50_ms, p99_ms, ...}
  loadgen.py perconn PORT SESSIONS MESSAGES SIZE RCPT SENDER
                                                         -> JSON {rate, p50_ms, p99_ms, max_ms}: a new
                                                            connection per message (time: connect to
                                                            the final reply)
  loadgen.py idle PORT COUNT SECONDS PID                 -> JSON {connections, rss_kib}
  loadgen.py submit PORT SESSIONS MESSAGES SIZE USER PASSWORD RCPT
                                                         -> the same JSON as latency, over implicit
                                                            TLS with AUTH PLAIN (port 465 style)
"""
import asyncio, base64, json, ssl, sys, time


async def reply(reader):
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        if line[3:4] != b"-":
            return int(line[:3])


async def session(port, count, body, rcpt, latencies, errors, auth=None):
    if auth:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
    else:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reply(reader)
    writer.write(b"EHLO loadgen.bench\r\n")
    await reply(reader)
    sender = b"load@sender.bench"
    if auth:
        user, password = auth
        token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode())
        writer.write(b"AUTH PLAIN " + token + b"\r\n")
        if await reply(reader) != 235:
            raise RuntimeError("AUTH failed")
        sender = user.encode()
        body = body.replace(b"From: load@sender.bench", b"From: " + sender)
    for _ in range(count):
        writer.write(b"MAIL FROM:<" + sender + b">\r\nRCPT TO:<" + rcpt.encode() + b">\r\nDATA\r\n")
        codes = [await reply(reader) for _ in range(3)]
        if codes != [250, 250, 354]:
            errors.append(codes)
            writer.write(b"RSET\r\n")
            await reply(reader)
            continue
        writer.write(body)
        start = time.perf_counter()
        writer.write(b".\r\n")
        await writer.drain()
        code = await reply(reader)
        latencies.append(time.perf_counter() - start)
        if code != 250:
            errors.append(code)
    writer.write(b"QUIT\r\n")
    await writer.drain()
    writer.close()


async def latency(port, sessions, messages, size, rcpt, auth=None):
    line = b"x" * 70 + b"\r\n"
    body = b"Subject: bench\r\nFrom: load@sender.bench\r\n\r\n" + line * max(1, size // len(line))
    latencies, errors = [], []
    per = messages // sessions
    start = time.perf_counter()
    await asyncio.gather(*(session(port, per, body, rcpt, latencies, errors, auth) for _ in range(sessions)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else None
    return {"messages": len(latencies), "errors": len(errors), "seconds": round(elapsed, 3),
            "rate": round(len(latencies) / elapsed, 1), "p50_ms": round(pick(0.50), 2), "p99_ms": round(pick(0.99), 2)}


async def one_message(port, body, rcpt, sender):
    """connect, EHLO, one message, QUIT: what an MX sees from most senders.
    Returns (code, seconds from connect to the final reply)."""
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await reply(reader)
        writer.write(b"EHLO loadgen.bench\r\n")
        await reply(reader)
        writer.write(b"MAIL FROM:<" + sender + b">\r\nRCPT TO:<" + rcpt.encode() + b">\r\nDATA\r\n")
        codes = [await reply(reader) for _ in range(3)]
        if codes != [250, 250, 354]:
            return codes, time.perf_counter() - start
        writer.write(body + b".\r\n")
        await writer.drain()
        code = await reply(reader)
        writer.write(b"QUIT\r\n")
        await writer.drain()
        return code, time.perf_counter() - start
    finally:
        writer.close()


async def perconn(port, sessions, messages, size, rcpt, sender):
    """SESSIONS workers each sending their share, a new connection per message."""
    line = b"x" * 70 + b"\r\n"
    body = (b"Subject: bench\r\nFrom: " + sender.encode() + b"\r\n\r\n"
            + line * max(1, size // len(line)))
    latencies, errors = [], []

    async def worker(n):
        for _ in range(n):
            try:
                code, took = await one_message(port, body, rcpt, sender.encode())
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
                continue
            latencies.append(took)
            if code != 250:
                errors.append(code)

    start = time.perf_counter()
    await asyncio.gather(*(worker(messages // sessions) for _ in range(sessions)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
    return {"messages": len(latencies), "errors": len(errors), "error_samples": errors[:5],
            "seconds": round(elapsed, 3), "rate": round(len(latencies) / elapsed, 1),
            "p50_ms": round(pick(0.50), 2), "p99_ms": round(pick(0.99), 2),
            "max_ms": round(latencies[-1] * 1000, 2) if latencies else 0}


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


async def idle(port, count, seconds, pid):
    conns = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reply(reader)
        conns.append(writer)
    await asyncio.sleep(seconds)
    rss = rss_kib(pid)
    for w in conns:
        w.close()
    return {"connections": len(conns), "rss_kib": rss}


def main():
    mode = sys.argv[1]
    if mode == "latency":
        port, sessions, messages, size = map(int, sys.argv[2:6])
        print(json.dumps(asyncio.run(latency(port, sessions, messages, size, sys.argv[6]))))
    elif mode == "perconn":
        port, sessions, messages, size = map(int, sys.argv[2:6])
        print(json.dumps(asyncio.run(perconn(port, sessions, messages, size, sys.argv[6], sys.argv[7]))))
    elif mode == "submit":
        port, sessions, messages, size = map(int, sys.argv[2:6])
        user, password, rcpt = sys.argv[6:9]
        print(json.dumps(asyncio.run(latency(port, sessions, messages, size, rcpt, (user, password)))))
    elif mode == "idle":
        port, count, seconds, pid = map(int, sys.argv[2:6])
        print(json.dumps(asyncio.run(idle(port, count, seconds, pid))))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
