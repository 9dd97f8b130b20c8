/**
 * The lab agent: a small Python 3 program run inside lab namespaces (the
 * standard library only, so every Linux box with python3 has what it
 * needs). Three modes, each printing one JSON object per line:
 *
 * - `listen PORT...` — in every world namespace: a raw ICMP socket reports
 *   each echo request the namespace's stack takes (source, destination,
 *   TTL, echo id); a UDP socket per port reports each datagram (source and
 *   port, destination, TTL) and echoes 16 bytes back.
 * - `sniff SKIP...` — in a segment's namespace: every IPv4 frame entering a
 *   bridge port, as hex (frames leaving a port and the bridge's own are
 *   skipped, so each crossing is seen once, with the port it came in by);
 *   `{"t": "lost"}` if the capture socket ever dropped frames.
 * - `send DST DPORT SPORT SIZE DF TTL TIMEOUT_MS` — one UDP datagram of
 *   SIZE bytes (IP total length) with DF set or clear, then what came back:
 *   a reply, an ICMP error from the socket's error queue (type, code,
 *   offender, MTU), a local error (errno), or nothing.
 *
 * @module
 */

/**
 * The Python interpreter the lab runs: the system's own `/usr/bin/python3`
 * where it exists, else `python3` from PATH. Version managers put a shell
 * shim first on PATH that costs seconds per start on a busy machine, which
 * the lab would otherwise report as probes it could not observe.
 *
 * @example
 * ```ts
 * import { python } from "./agent.js";
 * python(); // "/usr/bin/python3" on Debian
 * ```
 */
export function python(): string {
  try {
    if (Deno.statSync("/usr/bin/python3").isFile) return "/usr/bin/python3";
  } catch {
    // no system interpreter: PATH decides
  }
  return "python3";
}

/** The agent's Python source; run it as `python3 -u -c AGENT_PY MODE ARGS...`. */
export const AGENT_PY: string = String.raw`
import errno, json, select, socket, struct, sys

def emit(d):
    sys.stdout.write(json.dumps(d) + "\n")
    sys.stdout.flush()

IP_PKTINFO, IP_TTL, IP_RECVTTL, IP_MTU_DISCOVER, IP_RECVERR = 8, 2, 12, 10, 11

def bigbuf(s):
    # A burst of probes must not overflow a capture socket (SO_RCVBUFFORCE, as root).
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)

def listen(ports):
    socks = {}
    icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    bigbuf(icmp)
    socks[icmp.fileno()] = ("icmp", icmp, 0)
    for p in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_IP, IP_RECVTTL, 1)
        s.setsockopt(socket.SOL_IP, IP_PKTINFO, 1)
        bigbuf(s)
        s.bind(("0.0.0.0", p))
        socks[s.fileno()] = ("udp", s, p)
    poller = select.poll()
    for fd in socks:
        poller.register(fd, select.POLLIN)
    emit({"t": "ready"})
    while True:
        for fd, _ in poller.poll():
            kind, s, port = socks[fd]
            if kind == "icmp":
                d = s.recv(65535)
                ihl = (d[0] & 15) * 4
                if len(d) < ihl + 8 or d[ihl] != 8:
                    continue
                emit({"t": "icmp", "src": socket.inet_ntoa(d[12:16]), "dst": socket.inet_ntoa(d[16:20]),
                      "ttl": d[8], "id": struct.unpack("!H", d[ihl + 4:ihl + 6])[0],
                      "len": struct.unpack("!H", d[2:4])[0]})
                continue
            data, anc, _, addr = s.recvmsg(65535, 256)
            ttl, dst = None, None
            for level, typ, val in anc:
                if level == socket.SOL_IP and typ == IP_TTL:
                    ttl = struct.unpack("i", val[:4])[0]
                if level == socket.SOL_IP and typ == IP_PKTINFO:
                    dst = socket.inet_ntoa(val[8:12])
            emit({"t": "udp", "port": port, "src": addr[0], "sport": addr[1], "dst": dst, "ttl": ttl,
                  "len": len(data) + 28})
            try:
                s.sendto(data[:16], addr)
            except OSError:
                pass

def sniff(skip):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    bigbuf(s)
    emit({"t": "ready"})
    while True:
        d, a = s.recvfrom(65535)
        lost = struct.unpack("II", s.getsockopt(263, 6, 8))[1]  # PACKET_STATISTICS: tp_drops
        if lost:
            emit({"t": "lost", "n": lost})
        if a[2] == socket.PACKET_OUTGOING or a[1] != 0x0800 or a[0] in skip:
            continue
        emit({"t": "frame", "dev": a[0], "hex": d.hex()})

def send(dst, dport, sport, size, df, ttl, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, IP_MTU_DISCOVER, 2 if df else 0)
    if ttl > 0:
        s.setsockopt(socket.SOL_IP, IP_TTL, ttl)
    s.setsockopt(socket.SOL_IP, IP_RECVERR, 1)
    s.bind(("0.0.0.0", sport))
    try:
        s.sendto(b"p" * (size - 28), (dst, dport))
    except OSError as e:
        out = {"kind": "local-error", "errno": errno.errorcode.get(e.errno, str(e.errno))}
        err = queued(s)
        if err and err.get("mtu"):
            out["mtu"] = err["mtu"]
        return emit(out)
    poller = select.poll()
    poller.register(s.fileno(), select.POLLIN | select.POLLERR)
    if not poller.poll(timeout):
        return emit({"kind": "nothing"})
    err = queued(s)
    if err:
        return emit(err)
    _, addr = s.recvfrom(65535)
    emit({"kind": "reply", "from": addr[0]})

def queued(s):
    try:
        _, anc, _, _ = s.recvmsg(65535, 512, socket.MSG_ERRQUEUE)
    except BlockingIOError:
        return None
    except OSError:
        return None
    for level, typ, val in anc:
        if level == socket.SOL_IP and typ == IP_RECVERR:
            ee_errno, origin, typ_, code, _, info, _ = struct.unpack("IBBBBII", val[:16])
            offender = socket.inet_ntoa(val[20:24]) if len(val) >= 24 else None
            if origin == 2:
                return {"kind": "icmp", "type": typ_, "code": code, "from": offender, "mtu": info}
            return {"kind": "local-error", "errno": errno.errorcode.get(ee_errno, str(ee_errno)), "mtu": info}
    return None

mode = sys.argv[1]
if mode == "listen":
    listen([int(p) for p in sys.argv[2:]])
elif mode == "sniff":
    sniff(sys.argv[2:])
else:
    a = sys.argv[2:]
    send(a[0], int(a[1]), int(a[2]), int(a[3]), a[4] == "1", int(a[5]), int(a[6]))
`;
