#!/usr/bin/env python3
"""A tiny authoritative DNS server on 127.0.0.1 for benchmarks: answers A,
TXT and PTR from a fixed zone, NXDOMAIN (without an SOA record, as many
resolvers answer) otherwise.

  dnsd.py PORT [DELAY_MS [DROP_FRACTION]]   (runs until killed)

DNSD_ZONE=file.json replaces the built-in zone: a list of [name, type,
value] with type "A", "TXT" or "PTR" (tests/dkim_vectors uses it).

DELAY_MS answers every query that late (each on its own timer, so slow
answers do not queue behind each other); DROP_FRACTION of the queries
(chosen at random, seeded) are never answered.
"""
import random, socket, struct, sys, threading

ZONE = {
    ("1.0.0.127.in-addr.arpa", 12): ["loadgen.bench"],
    ("loadgen.bench", 1): ["127.0.0.1"],
    ("sender.bench", 16): ["v=spf1 ip4:127.0.0.1 -all"],
    ("sender.bench", 1): ["192.0.2.1"],
    ("_dmarc.sender.bench", 16): ["v=DMARC1; p=none"],
}


def name_bytes(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def rdata(qtype, value):
    if qtype == 1:
        return socket.inet_aton(value)
    if qtype == 16:
        raw = value.encode()
        return b"".join(bytes([len(raw[i:i + 255])]) + raw[i:i + 255] for i in range(0, len(raw), 255))
    return name_bytes(value)


def answer(packet):
    ident, flags = struct.unpack("!HH", packet[:4])
    i, labels = 12, []
    while packet[i]:
        labels.append(packet[i + 1:i + 1 + packet[i]].decode().lower())
        i += 1 + packet[i]
    qtype, _ = struct.unpack("!HH", packet[i + 1:i + 5])
    question = packet[12:i + 5]
    name = ".".join(labels)
    values = ZONE.get((name, qtype), [])
    known = any(n == name for n, _ in ZONE)
    rcode = 0 if known else 3
    out = struct.pack("!HHHHHH", ident, 0x8400 | (flags & 0x0100) | 0x0080 | rcode, 1, len(values), 0, 0) + question
    for v in values:
        data = rdata(qtype, v)
        out += b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 300, len(data)) + data
    return out


def main():
    import json, os
    if os.environ.get("DNSD_ZONE"):
        types = {"A": 1, "PTR": 12, "TXT": 16}
        ZONE.clear()
        for name, kind, value in json.load(open(os.environ["DNSD_ZONE"])):
            ZONE.setdefault((name.lower().rstrip("."), types[kind]), []).append(value)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", int(sys.argv[1])))
    delay = float(sys.argv[2]) / 1000 if len(sys.argv) > 2 else 0.0
    drop = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    rnd = random.Random(7)

    def send(data, peer):
        try:
            sock.sendto(data, peer)
        except Exception:
            pass

    while True:
        packet, peer = sock.recvfrom(4096)
        if drop and rnd.random() < drop:
            continue
        try:
            data = answer(packet)
        except Exception:
            continue
        if delay:
            threading.Timer(delay, send, (data, peer)).start()
        else:
            send(data, peer)


if __name__ == "__main__":
    main()
