#!/usr/bin/env python3
# A test-only DNS responder for the caas XEP-0368 check: answers SRV _xmpps-client._tcp.localhost and
# _xmpp-client._tcp.localhost with localhost:5223 / :5222, A localhost with 127.0.0.1, NXDOMAIN otherwise.
import socket, struct, sys
SRV = {"_xmpps-client._tcp.localhost": 5223, "_xmpp-client._tcp.localhost": 5222}
def name(data, off):
    labels = []
    while data[off]:
        n = data[off]; labels.append(data[off+1:off+1+n].decode()); off += 1 + n
    return ".".join(labels).lower(), off + 1
def enc(n):
    return b"".join(bytes([len(p)]) + p.encode() for p in n.split(".")) + b"\0"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 53))
while True:
    data, addr = s.recvfrom(512)
    qid, flags, qd = struct.unpack(">HHH", data[:6])
    qname, off = name(data, 12)
    qtype, qclass = struct.unpack(">HH", data[off:off+4])
    question = data[12:off+4]
    answers = b""
    if qtype == 33 and qname in SRV:
        rdata = struct.pack(">HHH", 0, 1, SRV[qname]) + enc("localhost")
        answers = b"\xc0\x0c" + struct.pack(">HHIH", 33, 1, 60, len(rdata)) + rdata
    elif qtype == 1 and qname == "localhost":
        answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
    rcode = 0 if answers or qname in SRV or qname == "localhost" else 3
    header = struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, 1 if answers else 0, 0, 0)
    s.sendto(header + question + answers, addr)
