#!/usr/bin/env python3
"""Writes the committed seed corpus (fuzz/seeds/<target>/) and dictionaries
(fuzz/dict/). Run it after changing a target's input format; the files are
small and committed, so fuzzing needs nothing but the repository.

Seeds exist for the targets whose input is a plain format (a reply stream,
a command line, a start-info block); the others decode their input as a
script of small decisions and grow their own corpus in fuzz/corpus/.
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fuzz")


def write(target, name, data):
    d = os.path.join(ROOT, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- xs_parser: byte 0 = number of chunk sizes (0 here), then the stream.
READ, WRITE, DIRECTORY, WATCH_EVENT, ERROR, GET_DOMAIN_PATH = 2, 11, 1, 15, 16, 10


def msg(ty, req_id, payload, tx_id=0):
    return struct.pack("<IIII", ty, req_id, tx_id, len(payload)) + payload


replies = {
    "read": msg(READ, 1, b"xenbell"),
    "write-ok": msg(WRITE, 2, b"OK\0"),
    "error-enoent": msg(ERROR, 3, b"ENOENT\0"),
    "directory": msg(DIRECTORY, 4, b"0\x007\x0012\0"),
    "watch-event": msg(WATCH_EVENT, 0, b"/local/domain/7/data/xenbell\0xenbell-token\0"),
    "domain-path": msg(GET_DOMAIN_PATH, 5, b"/local/domain/7\0"),
    "empty-payload": msg(READ, 6, b""),
    "max-payload": msg(READ, 7, b"z" * 4096),
}
for name, m in replies.items():
    write("xs_parser", name, b"\0" + m)
stream = b"".join(replies[k] for k in ["read", "watch-event", "write-ok", "error-enoent", "directory"])
write("xs_parser", "stream", b"\0" + stream)
# Three chunk sizes (1, 16, 5), then the same stream.
write("xs_parser", "stream-chunked", bytes([3, 1, 16, 5]) + stream)
write("xs_parser", "partial", b"\0" + replies["read"] + replies["write-ok"][:9])
write("xs_parser", "bad-type", b"\0" + replies["read"] + struct.pack("<IIII", 20, 1, 0, 0))
write("xs_parser", "too-long", b"\0" + struct.pack("<IIII", READ, 1, 0, 4097))

# ---- cmdline: the bytes at cmdline_paddr (NUL-terminated).
lines = [
    "",
    "log=info",
    "log=debug remote=7 mode=lead rounds=250 selftest=evtchn upcall=callback",
    "mode=lead rounds=100000000 remote=32751",
    "upcall=percpu selftest=fault log=trace",
    "selftest=panic upcall=auto log=warn mode=serve rounds=1",
    "log=error\tremote=0\nrounds=1000",
]
for i, line in enumerate(lines):
    write("cmdline", "line%d" % i, line.encode() + b"\0")
write("cmdline", "bad-value", b"rounds=abc\0")

# ---- start_info: 56-byte hvm_start_info, memmap entries, 24-byte tail
# (map end, image start, image end), command line.
MAGIC = 0x336EC578
MIB = 1 << 20


def start_info(version, memmap_entries, memmap_paddr=0x3000, magic=MAGIC):
    return struct.pack("<IIIIQQQQII", magic, version, 0, 0, 0, 0x2000, 0, memmap_paddr, memmap_entries, 0)


def entry(addr, size, ty):
    return struct.pack("<QQII", addr, size, ty, 0)


memmap = entry(0, 0xA0000, 1) + entry(0xF0000, 0x10000, 2) + entry(MIB, 31 * MIB, 1)
tail = struct.pack("<QQQ", 4 << 30, MIB, MIB + 0x80000)
write("start_info", "qemu-32m", start_info(1, 3) + memmap + tail + b"log=debug mode=lead\0")
write("start_info", "version0", start_info(0, 0, 0) + tail + b"\0")
high = entry(0, 0xA0000, 1) + entry(MIB, 3 * 1024 * MIB, 1) + entry(4 << 30, 4 << 30, 1)
write("start_info", "above-4g", start_info(1, 3) + high + struct.pack("<QQQ", 8 << 30, MIB, 2 * MIB) + b"remote=1\0")

# ---- dictionaries
os.makedirs(os.path.join(ROOT, "dict"), exist_ok=True)
words = ["log=", "remote=", "mode=", "rounds=", "selftest=", "upcall=",
         "error", "warn", "info", "debug", "trace", "serve", "lead", "evtchn", "fault", "panic",
         "xenstore", "auto", "percpu", "callback",
         "0", "1", "32751", "32752", "65535", "65536", "100000000", "100000001", "4294967295", "4294967296",
         "=", " ", "\\x09", "\\x0a", "\\x00"]
with open(os.path.join(ROOT, "dict", "cmdline.dict"), "w") as f:
    f.write("# Keys and values of the kernel command line (fuzz target cmdline).\n")
    for w in words:
        f.write('"%s"\n' % w)
