/**
 * kube-proxy's iptables mode as a builder: the nat and filter rules it
 * writes on every node for a set of Services, in its layout — the jumps
 * from the built-in chains, `KUBE-SERVICES` with one rule per Service port,
 * `KUBE-SVC-…` choosing an endpoint with `statistic` rules (endpoint i of n
 * with probability 1/(n-i)), `KUBE-SEP-…` marking hairpin traffic for
 * masquerade and DNATing, `KUBE-NODEPORTS` and `KUBE-EXT-…` for NodePorts,
 * `KUBE-POSTROUTING` masquerading what carries the `0x4000` mark, and
 * `KUBE-FORWARD` accepting marked and established traffic. Chain names come
 * from kube-proxy's own hash (`portProtoHash`: sha256, base32, 16 characters).
 *
 * @module
 */

/** One Service port as kube-proxy sees it. */
export interface ServiceSpec {
  /** `metadata.name`. */
  readonly name: string;
  /** `metadata.namespace` (default `default`). */
  readonly namespace?: string;
  /** The port's name (`dns`, `http`); may be empty. */
  readonly portName?: string;
  readonly clusterIp: string;
  readonly protocol: "tcp" | "udp";
  readonly port: number;
  readonly targetPort: number;
  /** A NodePort (30000-32767) opens the port on every node's own addresses. */
  readonly nodePort?: number;
  /** Endpoint addresses, in the order kube-proxy lists them. */
  readonly endpoints: readonly string[];
  /**
   * `Local`: NodePort traffic goes only to endpoints on the node that took
   * it, unmasqueraded (the pod sees the client); a node without one drops
   * it. Default `Cluster`.
   */
  readonly externalTrafficPolicy?: "Cluster" | "Local";
  /** The node of each endpoint (by index), for `externalTrafficPolicy: Local`. */
  readonly endpointNodes?: readonly string[];
}

const K = [
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
];

/**
 * SHA-256 of bytes (FIPS 180-4), synchronous so builders stay pure.
 *
 * @param data The message.
 * @returns The 32-byte digest.
 * @example
 * ```ts
 * import { sha256 } from "./kubeproxy.js";
 * sha256(new TextEncoder().encode("abc"))[0]; // 0xba
 * ```
 */
export function sha256(data: Uint8Array): Uint8Array {
  const bitLen = data.length * 8;
  const padded = new Uint8Array(((data.length + 9 + 63) >> 6) << 6);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLen / 0x100000000));
  view.setUint32(padded.length - 4, bitLen >>> 0);
  const h = [
    0x6a09e667,
    0xbb67ae85,
    0x3c6ef372,
    0xa54ff53a,
    0x510e527f,
    0x9b05688c,
    0x1f83d9ab,
    0x5be0cd19,
  ];
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i] + w[i]) >>> 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0] + a) >>> 0;
    h[1] = (h[1] + b) >>> 0;
    h[2] = (h[2] + c) >>> 0;
    h[3] = (h[3] + d) >>> 0;
    h[4] = (h[4] + e) >>> 0;
    h[5] = (h[5] + f) >>> 0;
    h[6] = (h[6] + g) >>> 0;
    h[7] = (h[7] + hh) >>> 0;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  h.forEach((x, i) => ov.setUint32(i * 4, x));
  return out;
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32, standard alphabet (padding left out: callers cut the text). */
function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * kube-proxy's `portProtoHash`: the first 16 base32 characters of
 * sha256(servicePortName + protocol).
 *
 * @param servicePortName `namespace/name:portName` (or `namespace/name`).
 * @param protocol Lower case, `tcp` or `udp`.
 * @returns The 16 characters chain names end with.
 * @example
 * ```ts
 * import { portProtoHash } from "./kubeproxy.js";
 * portProtoHash("kube-system/kube-dns:dns", "udp"); // "TCOU7JCQXEZGVUNU"
 * ```
 */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return base32(sha256(new TextEncoder().encode(servicePortName + protocol))).slice(0, 16);
}

/** `namespace/name:port` as kube-proxy prints a service port. */
export function servicePortName(s: ServiceSpec): string {
  const base = `${s.namespace ?? "default"}/${s.name}`;
  return s.portName ? `${base}:${s.portName}` : base;
}

/**
 * The chains of one Service port: `KUBE-SVC-…` (every endpoint),
 * `KUBE-SVL-…` (the node's own endpoints, for `externalTrafficPolicy:
 * Local`), `KUBE-EXT-…` and one `KUBE-SEP-…` per endpoint.
 */
export function serviceChains(
  s: ServiceSpec,
): { svc: string; svl: string; ext: string; sep: string[] } {
  const spn = servicePortName(s);
  const hash = portProtoHash(spn, s.protocol);
  return {
    svc: `KUBE-SVC-${hash}`,
    svl: `KUBE-SVL-${hash}`,
    ext: `KUBE-EXT-${hash}`,
    sep: s.endpoints.map((e) =>
      `KUBE-SEP-${portProtoHash(spn, `${s.protocol}${e}:${s.targetPort}`)}`
    ),
  };
}

/** kube-proxy's masquerade mark bit. */
export const MASQ_MARK = "0x4000";

/**
 * The iptables argument lines kube-proxy writes on a node for these
 * Services (the same on every node unless a Service has
 * `externalTrafficPolicy: Local`). The jumps from the built-in chains come
 * first, as kube-proxy prepends them; `clusterCidr` adds the masquerade of
 * off-cluster traffic to a ClusterIP, as kube-proxy's `--cluster-cidr`
 * does. A `Local` NodePort's `KUBE-EXT-…` sends pod traffic to `KUBE-SVC-…`,
 * masquerades and routes the node's own traffic there too, and the rest to
 * `KUBE-SVL-…`, which picks among the node's own endpoints; without one,
 * `KUBE-EXTERNAL-SERVICES` (filter INPUT and FORWARD, new connections)
 * drops the NodePort's traffic.
 *
 * @param services The Service ports.
 * @param clusterCidr The pod range, or undefined.
 * @param node The node the lines are for (needed for `externalTrafficPolicy: Local`).
 * @returns Lines for `setIptables`, before the node's own.
 * @example
 * ```ts
 * import { kubeProxyLines } from "./kubeproxy.js";
 * const lines = kubeProxyLines([{ name: "kube-dns", namespace: "kube-system", portName: "dns", clusterIp: "10.96.0.10", protocol: "udp", port: 53, targetPort: 53, endpoints: ["10.244.1.3"] }], "10.244.0.0/16");
 * lines.some((l) => l.includes("KUBE-SVC-TCOU7JCQXEZGVUNU")); // true
 * ```
 */
export function kubeProxyLines(
  services: readonly ServiceSpec[],
  clusterCidr: string | undefined,
  node?: string,
): string[] {
  const nat: string[] = [];
  const filter: string[] = [];
  const n = (x: string) => nat.push(`-t nat ${x}`);
  const chains = ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"];
  const perService = services.map((s) => ({ s, c: serviceChains(s) }));
  const isLocal = (s: ServiceSpec) =>
    s.externalTrafficPolicy === "Local" && s.nodePort !== undefined;
  for (const { s, c } of perService) {
    chains.push(c.svc, ...c.sep);
    if (isLocal(s)) chains.push(c.svl);
    if (s.nodePort !== undefined) chains.push(c.ext);
  }
  // One rule per endpoint, endpoint i of n with probability 1/(n-i).
  const pick = (chain: string, s: ServiceSpec, spn: string, sep: string[], which: number[]) =>
    which.forEach((i, k) => {
      const left = which.length - k;
      const random = left > 1
        ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}`
        : "";
      n(`-A ${chain} -m comment --comment "${spn} -> ${
        s.endpoints[i]
      }:${s.targetPort}"${random} -j ${sep[i]}`);
    });
  const noLocal: ServiceSpec[] = [];
  for (const c of chains) n(`-N ${c}`);
  n('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  n('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  n('-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING');
  n(`-A KUBE-MARK-MASQ -j MARK --or-mark ${MASQ_MARK}`);
  n(`-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`);
  n(`-A KUBE-POSTROUTING -j MARK --xor-mark ${MASQ_MARK}`);
  n('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
  for (const { s, c } of perService) {
    const spn = servicePortName(s);
    const p = s.protocol;
    if (s.endpoints.length === 0) continue;
    n(`-A KUBE-SERVICES -d ${s.clusterIp}/32 -p ${p} -m comment --comment "${spn} cluster IP" -m ${p} --dport ${s.port} -j ${c.svc}`);
    if (s.nodePort !== undefined) {
      n(`-A KUBE-NODEPORTS -p ${p} -m comment --comment "${spn}" -m ${p} --dport ${s.nodePort} -j ${c.ext}`);
    }
    if (s.nodePort !== undefined && !isLocal(s)) {
      n(`-A ${c.ext} -m comment --comment "masquerade traffic for ${spn} external destinations" -j KUBE-MARK-MASQ`);
      n(`-A ${c.ext} -j ${c.svc}`);
    }
    if (isLocal(s)) {
      const local = s.endpoints.flatMap((_, i) => (s.endpointNodes?.[i] === node ? [i] : []));
      if (clusterCidr !== undefined) {
        n(`-A ${c.ext} -s ${clusterCidr} -m comment --comment "pod traffic for ${spn} external destinations" -j ${c.svc}`);
      }
      n(`-A ${c.ext} -m comment --comment "masquerade LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
      n(`-A ${c.ext} -m comment --comment "route LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j ${c.svc}`);
      if (local.length > 0) n(`-A ${c.ext} -j ${c.svl}`);
      else noLocal.push(s);
      pick(c.svl, s, spn, c.sep, local);
    }
    if (clusterCidr !== undefined) {
      n(`-A ${c.svc} ! -s ${clusterCidr} -d ${s.clusterIp}/32 -p ${p} -m comment --comment "${spn} cluster IP" -m ${p} --dport ${s.port} -j KUBE-MARK-MASQ`);
    }
    pick(c.svc, s, spn, c.sep, s.endpoints.map((_, i) => i));
    s.endpoints.forEach((e, i) => {
      n(`-A ${c.sep[i]} -s ${e}/32 -m comment --comment "${spn}" -j KUBE-MARK-MASQ`);
      n(`-A ${
        c.sep[i]
      } -p ${p} -m comment --comment "${spn}" -m ${p} -j DNAT --to-destination ${e}:${s.targetPort}`);
    });
  }
  n('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
  filter.push(
    "-N KUBE-FORWARD",
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP",
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );
  if (perService.some(({ s }) => isLocal(s))) {
    const portals =
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES';
    filter.push("-N KUBE-EXTERNAL-SERVICES", `-A INPUT ${portals}`, `-A FORWARD ${portals}`);
    for (const s of noLocal) {
      const p = s.protocol;
      filter.push(
        `-A KUBE-EXTERNAL-SERVICES -p ${p} -m comment --comment "${
          servicePortName(s)
        } has no local endpoints" -m addrtype --dst-type LOCAL -m ${p} --dport ${s.nodePort} -j DROP`,
      );
    }
  }
  return [...nat, ...filter];
}
