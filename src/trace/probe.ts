/**
 * A probe: who sends, to what, with which packet. Probes come from users
 * (command line, lesson cells), so resolving one returns errors as values.
 *
 * @module
 */
import { Addr, formatParseError } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import { namespaceNamed, podIp, podNamed, podOfNamespace, podsWithIp } from "../world/query.js";
import type { Pod, Protocol, World } from "../model/world.js";
import type { BranchChoice } from "../forward/netfilter.js";

/** What a user asks to trace. */
export interface Probe {
  /** A pod (`a`), a container of a pod (`a/web`) or a namespace (`node-1`). */
  readonly from: string;
  /** A pod name or an IPv4 address. */
  readonly to: string;
  /** Default `icmp` (an echo request, like ping). */
  readonly proto?: Protocol;
  /** Destination port for udp/tcp (default 8080). */
  readonly port?: number;
  /** Source port for udp/tcp (default 40000). */
  readonly sport?: number;
  /** IP total length in bytes (default 84, ping's default). */
  readonly size?: number;
  /** Don't Fragment (default true, as ping sets it). */
  readonly df?: boolean;
  /** Initial TTL (default: the namespace's net.ipv4.ip_default_ttl). */
  readonly ttl?: number;
  /**
   * Which branch random (`statistic`) rules take: an endpoint's address
   * (`10.244.1.3`, its DNAT target), or `seed:N` for the branch a seeded
   * draw picks with the rules' probabilities. Default: every random rule
   * matches, so the first endpoint.
   */
  readonly branch?: string;
  /**
   * The sender's neighbour cache: `cold` (default) holds only the world's
   * entries, so a next hop without one is resolved by ARP while the packet
   * waits; `warm` has every next hop ARP would find already resolved (as
   * after earlier traffic). It changes what the sender sees: a frame too big
   * for the next device on its own host gives ENOBUFS only when the
   * neighbour was resolved, nothing while the packet waited for ARP.
   */
  readonly neighbours?: "cold" | "warm";
}

/** A probe whose names were found in the world. */
export interface ResolvedProbe {
  readonly namespace: string;
  readonly pod?: Pod;
  readonly container?: string;
  readonly dst: Addr;
  /** The pod the sender means to reach, when it is unambiguous. */
  readonly intended?: Pod;
  /** Pods sharing the destination address. */
  readonly claimants: readonly Pod[];
  readonly proto: Protocol;
  readonly sport?: number;
  readonly dport?: number;
  readonly size: number;
  readonly df: boolean;
  readonly ttl?: number;
  readonly branch?: BranchChoice;
  /** The sender's neighbour cache (default cold). */
  readonly neighbours?: "cold" | "warm";
}

/** A probe that names something the world does not have. */
export interface ProbeError {
  readonly field: keyof Probe;
  readonly value: unknown;
  readonly message: string;
}

/**
 * Renders a probe error on one line.
 *
 * @param e The error.
 * @returns e.g. `from: No pod, container or namespace called "z"`.
 */
export function formatProbeError(e: ProbeError): string {
  return `${e.field}: ${e.message}`;
}

const fail = (field: keyof Probe, value: unknown, message: string) =>
  err<ProbeError>({ field, value, message });

/**
 * Finds the probe's sender and receiver in the world and fills in defaults.
 *
 * @param world The world.
 * @param probe What the user asked.
 * @returns The resolved probe or what is wrong with it.
 * @example
 * ```ts
 * import { resolveProbe } from "./probe.js";
 * declare const world: import("../model/world.js").World;
 * resolveProbe(world, { from: "a/web", to: "10.244.2.2", proto: "tcp", port: 80 });
 * ```
 */
export function resolveProbe(world: World, probe: Probe): Result<ResolvedProbe, ProbeError> {
  const from = resolveSender(world, probe.from);
  if (!from.ok) return from;
  const to = resolveReceiver(world, probe.to);
  if (!to.ok) return to;
  const proto = probe.proto ?? "icmp";
  if (!["icmp", "udp", "tcp"].includes(proto)) {
    return fail("proto", proto, "Protocol must be icmp, udp or tcp");
  }
  const ports = resolvePorts(probe, proto);
  if (!ports.ok) return ports;
  const size = probe.size ?? 84;
  if (!Number.isInteger(size) || size < 28 || size > 65535) {
    return fail("size", size, "Size must be a whole number of bytes from 28 to 65535");
  }
  if (
    probe.ttl !== undefined && (!Number.isInteger(probe.ttl) || probe.ttl < 1 || probe.ttl > 255)
  ) {
    return fail("ttl", probe.ttl, "TTL must be a whole number from 1 to 255");
  }
  const branch = resolveBranch(probe.branch);
  if (!branch.ok) return branch;
  const neighbours = probe.neighbours ?? "cold";
  if (neighbours !== "cold" && neighbours !== "warm") {
    return fail("neighbours", neighbours, "Neighbours must be cold or warm");
  }
  return ok({
    ...from.value,
    ...to.value,
    ...ports.value,
    proto,
    size,
    df: probe.df ?? true,
    ttl: probe.ttl,
    branch: branch.value,
    ...(neighbours === "warm" ? { neighbours } : {}),
  });
}

function resolveBranch(text: string | undefined): Result<BranchChoice, ProbeError> {
  if (text === undefined || text === "") return ok({ kind: "first" });
  const seed = /^seed:([0-9]{1,10})$/.exec(String(text));
  if (seed) return ok({ kind: "seed", seed: Number(seed[1]) >>> 0 });
  const addr = Addr.parse(String(text));
  if (!addr.ok) {
    return fail("branch", text, "Branch must be an endpoint's IPv4 address or seed:N");
  }
  return ok({ kind: "endpoint", addr: addr.value });
}

function resolveSender(world: World, from: string) {
  const [podName, container, ...rest] = String(from).split("/");
  const pod = podNamed(world, podName);
  if (pod !== undefined && rest.length === 0) {
    if (pod.namespace === undefined) {
      return fail("from", from, `Pod "${pod.name}" has no sandbox (its namespace is gone)`);
    }
    if (container !== undefined) {
      const c = pod.containers.find((x) => x.name === container);
      if (c === undefined) {
        return fail("from", from, `Pod "${pod.name}" has no container "${container}"`);
      }
      if (c.state !== "running") return fail("from", from, `Container "${from}" is not running`);
    }
    return ok({ namespace: pod.namespace, pod, container });
  }
  if (container === undefined && namespaceNamed(world, podName) !== undefined) {
    return ok({ namespace: podName, pod: podOfNamespace(world, podName), container: undefined });
  }
  return fail("from", from, `No pod, container or namespace called "${from}"`);
}

function resolveReceiver(world: World, to: string) {
  const pod = podNamed(world, to);
  if (pod !== undefined) {
    const ip = podIp(world, pod);
    if (ip === undefined) {
      return fail("to", to, `Pod "${pod.name}" has no IP (its sandbox is gone)`);
    }
    return ok({ dst: ip, intended: pod, claimants: podsWithIp(world, ip) });
  }
  const addr = Addr.parse(String(to));
  if (!addr.ok) {
    return fail(
      "to",
      to,
      /^[0-9.]+$/.test(String(to))
        ? formatParseError(addr.error)
        : `No pod called "${to}" (and not an IPv4 address)`,
    );
  }
  const claimants = podsWithIp(world, addr.value);
  return ok({
    dst: addr.value,
    intended: claimants.length === 1 ? claimants[0] : undefined,
    claimants,
  });
}

function resolvePorts(probe: Probe, proto: Protocol) {
  if (proto === "icmp") return ok({ sport: undefined, dport: undefined });
  const port = probe.port ?? 8080;
  const sport = probe.sport ?? 40000;
  for (const [field, v] of [["port", port], ["sport", sport]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 65535) {
      return fail(field, v, "Port must be a whole number from 1 to 65535");
    }
  }
  return ok({ sport, dport: port });
}
