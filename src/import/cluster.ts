/**
 * Collector documents of several nodes (and optionally `kubectl get pods -A
 * -o json`) → one scenario: the nodes' namespaces, an underlay inferred from
 * the nodes' NIC addresses, each node's bridge and pod range, and the pods.
 * What was inferred is stated; what the model lacks is listed. The result
 * is checked by the scenario loader before it is returned, so a scenario
 * that comes out of here always loads.
 *
 * @module
 */
import { Addr, Prefix } from "../addr/mod.js";
import type { World } from "../model/world.js";
import { loadScenario } from "../scenario/load.js";
import { covering } from "../scenario/build.js";
import { parseRoute } from "../syntax/iproute.js";
import type {
  ContainerDoc,
  NamespaceDoc,
  NodeDoc,
  PodDoc,
  ScenarioDoc,
  SegmentDoc,
} from "../scenario/schema.js";
import {
  at,
  type ImportError,
  type Json,
  MAX_DOCUMENT,
  own,
  Problems,
  readCollected,
} from "./document.js";
import { importNode, NAMESPACE_NAME, type NicFound, type NodeImport } from "./node.js";

/** An input file: its name (for messages) and its text. */
export interface InputFile {
  readonly file: string;
  readonly text: string;
}

/** One thing the model does not model, where it is. */
export interface UnmodelledFound {
  readonly namespace: string;
  readonly what: string;
  readonly text: string;
  /** Whether a trace can meet it (false: listed only). */
  readonly meets: boolean;
}

/** What an import made and what it had to assume. */
export interface ImportReport {
  /** Statements about what was inferred (the underlay, names, pods). */
  readonly inferred: readonly string[];
  readonly unmodelled: readonly UnmodelledFound[];
}

/** A successful import. */
export interface Imported {
  readonly scenario: ScenarioDoc;
  readonly world: World;
  readonly report: ImportReport;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Imports nodes' collector documents.
 *
 * @param nodes One document per node.
 * @param pods `kubectl get pods -A -o json`, to name pods and their containers' ports.
 * @param name The scenario's name.
 * @returns The scenario, its world and the report; or every problem, each naming file, path and value.
 * @example
 * ```ts
 * import { importCluster } from "./cluster.js";
 * const r = importCluster([{ file: "n1.json", text: "{" }]);
 * if (!r.ok) console.log(r.error[0].file, r.error[0].message); // n1.json Not valid JSON ...
 * ```
 */
export function importCluster(
  nodes: readonly InputFile[],
  pods?: InputFile,
  name = "imported",
): { ok: true; value: Imported } | { ok: false; error: ImportError[] } {
  const errors: ImportError[] = [];
  const imports: { file: string; node: NodeImport }[] = [];
  if (nodes.length === 0) {
    return {
      ok: false,
      error: [{
        file: "(arguments)",
        path: "",
        value: undefined,
        message: "No node document given",
      }],
    };
  }
  const docs = nodes.map((f) => ({ f, doc: readCollected(f.file, f.text) }));
  const renamed: string[] = [];
  const count = new Map<string, number>();
  for (const { doc } of docs) {
    if (doc.ok) count.set(doc.value.node, (count.get(doc.value.node) ?? 0) + 1);
  }
  const taken = new Set(count.keys());
  for (const { f, doc } of docs) {
    if (!doc.ok) {
      errors.push(...doc.errors);
      continue;
    }
    let collected = doc.value;
    if ((count.get(collected.node) ?? 0) > 1) {
      // The same hostname on several machines (namespaces of one box, clones):
      // the files' names tell the nodes apart.
      const stem = f.file.split("/").pop()!.replace(/\.json$/, "");
      const name = NAMESPACE_NAME.test(stem) && !taken.has(stem) ? stem : undefined;
      if (name !== undefined) {
        taken.add(name);
        renamed.push(
          `${f.file} says node ${collected.node} like another file: named ${name} after its file`,
        );
        collected = { ...collected, node: name };
      }
    }
    const p = new Problems(f.file);
    const node = importNode(collected, p);
    errors.push(...p.errors);
    if (node) imports.push({ file: f.file, node });
  }
  const seenNodes = new Map<string, string>();
  const seenNs = new Map<string, string>();
  for (const { file, node } of imports) {
    const other = seenNodes.get(node.node);
    if (other !== undefined) {
      errors.push({
        file,
        path: "/node",
        value: node.node,
        message: `Node already imported from ${other} (set PODNET_NODE when collecting)`,
      });
    }
    seenNodes.set(node.node, file);
    for (const ns of node.namespaces) {
      const o = seenNs.get(ns.name);
      if (o !== undefined && o !== file) {
        errors.push({
          file,
          path: "/namespaces",
          value: ns.name,
          message: `Namespace name also collected in ${o}`,
        });
      }
      seenNs.set(ns.name, file);
    }
  }
  const podList = pods ? readPods(pods, errors) : undefined;
  if (errors.length > 0) return { ok: false, error: errors };

  const inferred: string[] = [...renamed, ...imports.flatMap((i) => i.node.notes)];
  const segments = inferUnderlay(imports.map((i) => i.node), inferred);
  const nodeDocs: NodeDoc[] = [];
  const podDocs: PodDoc[] = [];
  const namespaces: NamespaceDoc[] = [];
  const takenPods = new Set<string>();
  for (const { node } of imports) {
    const [root, ...podNs] = node.namespaces;
    const b = node.bridge;
    // The pod range: the bridge's subnet, or else the subnet of the first pod's eth0.
    const podNet = podNs.map((n) => n.devices.find((d) => d.name === "eth0")?.addresses?.[0])
      .find((a) => a !== undefined);
    const routed = b === undefined ? routedRange(root, podNs) : undefined;
    const cidr = routed?.cidr ?? b?.cidr ??
      (podNet ? Prefix.mustParse(podNet).masked() : undefined);
    const hasNode = (b !== undefined || routed !== undefined) && cidr !== undefined &&
      cidr.bits <= 30;
    (root as { role: string }).role = hasNode || podNs.length > 0 ? "node" : "router";
    namespaces.push(...node.namespaces);
    if (!hasNode) {
      if (podNs.length > 0) {
        inferred.push(
          `${node.node}: no bridge with an IPv4 range holds its pods' veths, so its ${podNs.length} pod namespace(s) are kept as namespaces without pods (trace them by namespace name)`,
        );
      } else inferred.push(`${node.node}: no pods and no bridge: imported as a router`);
      continue;
    }
    const podMtu = podNs.map((n) => n.devices.find((d) => d.name === "eth0")?.mtu).find((m) =>
      m !== undefined
    );
    nodeDocs.push({
      name: node.node,
      namespace: root.name,
      podCidr: cidr.toString(),
      ...(b ? { bridge: b.name } : {}),
      ...(podMtu ? { podMtu } : {}),
    });
    inferred.push(
      b
        ? `${node.node}: pods hang off ${b.name}; pod range ${cidr} (${
          b.cidr ? "the bridge's subnet" : "the subnet of a pod's eth0: the bridge has no address"
        })`
        : `${node.node}: pods attach by routed veths, no bridge (as Calico does); pod range ${cidr} (${
          routed!.why
        })`,
    );
    for (const ns of podNs) {
      const ip = podIp(ns);
      const match = podList?.find((x) =>
        x.node === node.node && x.ip !== undefined && x.ip === ip && !x.used
      );
      if (match) match.used = true;
      const base = match?.name ?? ns.name;
      const podName = uniqueLabel(base, takenPods);
      podDocs.push({
        name: podName,
        node: node.node,
        namespace: ns.name,
        containers: match?.containers ?? [{ name: "pause", pause: true }],
      });
    }
  }
  if (podList) {
    const unmatched = podList.filter((x) => !x.used).length;
    if (unmatched > 0) {
      inferred.push(
        `${unmatched} pod(s) in ${
          pods!.file
        } matched no collected pod namespace (hostNetwork, or on a node not collected)`,
      );
    }
  } else if (podDocs.length > 0) {
    inferred.push(
      "Pods are named after their network namespaces and have no known ports (give --pods pods.json to name them)",
    );
  }
  const scenario: ScenarioDoc = {
    version: 1,
    name,
    mode: "imported",
    description: {
      en: `Imported from ${imports.length} node(s) by deno task import.`,
      ko: `deno task import로 노드 ${imports.length}개에서 가져온 클러스터.`,
    },
    segments,
    nodes: nodeDocs,
    namespaces,
    pods: podDocs,
  };
  const loaded = settle(scenario, imports, inferred);
  if (!loaded.ok) return { ok: false, error: loaded.error };
  const unmodelled: UnmodelledFound[] = loaded.value.scenario.namespaces.flatMap((ns) =>
    (ns.unmodelled ?? []).map((u) => ({
      namespace: ns.name,
      what: u.what,
      text: u.text,
      meets: u.kind !== "listed",
    }))
  );
  return { ok: true, value: { ...loaded.value, report: { inferred, unmodelled } } };
}

// --- the underlay -----------------------------------------------------------------------------

/**
 * Groups node NICs into segments: NICs whose IPv4 subnets are the same are
 * on one segment. Linux does not show the switch, so its MTU is taken as
 * the largest member NIC's.
 */
function inferUnderlay(nodes: readonly NodeImport[], inferred: string[]): SegmentDoc[] {
  const nics: NicFound[] = nodes.flatMap((n) => n.nics);
  const groups: { nics: NicFound[]; subnets: Set<Prefix> }[] = [];
  for (const nic of nics) {
    const subnets = new Set(nic.addresses.filter((a) => a.bits < 32).map((a) => a.masked()));
    const joined = groups.filter((g) => [...subnets].some((s) => g.subnets.has(s)));
    const group = {
      nics: [nic, ...joined.flatMap((g) => g.nics)],
      subnets: new Set([...subnets, ...joined.flatMap((g) => [...g.subnets])]),
    };
    for (const g of joined) groups.splice(groups.indexOf(g), 1);
    groups.push(group);
  }
  const segments: SegmentDoc[] = [];
  groups.forEach((g, i) => {
    const segName = groups.length === 1 ? "underlay" : `underlay-${i + 1}`;
    const mtu = Math.max(...g.nics.map((n) => n.mtu));
    for (const nic of g.nics) {
      const ns = nodes.flatMap((n) => n.namespaces).find((x) => x.name === nic.namespace)!;
      const d = ns.devices.find((x) => x.name === nic.device)! as { segment?: string };
      d.segment = segName;
    }
    segments.push({ name: segName, mtu: Math.min(65535, Math.max(68, mtu)) });
    const where = [...g.subnets].map(String).join(", ") || "no IPv4 subnet";
    inferred.push(
      `Underlay ${segName}: ${
        g.nics.map((n) => `${n.namespace}/${n.device}`).join(", ")
      } share ${where}; one layer-2 segment, MTU ${mtu} assumed (the largest NIC's; the switch is not visible from a node)`,
    );
  });
  return segments;
}

// --- pods.json ----------------------------------------------------------------------------------

interface PodFound {
  readonly name: string;
  readonly node: string;
  readonly ip?: string;
  readonly containers: ContainerDoc[];
  used: boolean;
}

function readPods(f: InputFile, errors: ImportError[]): PodFound[] {
  const p = new Problems(f.file);
  let doc: unknown;
  if (f.text.length > MAX_DOCUMENT) {
    errors.push({ file: f.file, path: "", value: undefined, message: "Too large for a pod list" });
    return [];
  }
  try {
    doc = JSON.parse(f.text);
  } catch (e) {
    errors.push({
      file: f.file,
      path: "",
      value: undefined,
      message: `Not valid JSON (truncated?): ${(e as Error).message.slice(0, 120)}`,
    });
    return [];
  }
  const top = p.object(doc, "");
  const items = top ? p.array(own(top, "items"), "/items") ?? [] : [];
  const out: PodFound[] = [];
  items.forEach((v, i) => {
    const path = at("/items", i);
    const o = p.object(v, path);
    if (o === undefined) return;
    const meta = p.object(own(o, "metadata"), at(path, "metadata"));
    const spec = p.object(own(o, "spec"), at(path, "spec"));
    const status = own(o, "status") === undefined
      ? {}
      : p.object(own(o, "status"), at(path, "status"));
    if (!meta || !spec || !status) return;
    const name = p.string(meta, "name", at(path, "metadata"));
    const node = p.string(spec, "nodeName", at(path, "spec"), true);
    const ip = p.string(status, "podIP", at(path, "status"), true);
    if (name === undefined || node === undefined || own(spec, "hostNetwork") === true) return;
    if (ip !== undefined && !Addr.parse(ip).ok) {
      p.fail(at(at(path, "status"), "podIP"), ip, "Not an IPv4 address");
      return;
    }
    const containers: ContainerDoc[] = [{ name: "pause", pause: true }];
    const taken = new Set(["pause"]);
    const statuses = Array.isArray(own(status, "containerStatuses"))
      ? own(status, "containerStatuses") as Json[]
      : [];
    (p.array(own(spec, "containers") ?? [], at(at(path, "spec"), "containers")) ?? []).forEach(
      (c, j) => {
        const cp = at(at(at(path, "spec"), "containers"), j);
        const co = p.object(c, cp);
        const cname = co ? p.string(co, "name", cp) : undefined;
        if (co === undefined || cname === undefined) return;
        const ports: string[] = [];
        (p.array(own(co, "ports") ?? [], at(cp, "ports")) ?? []).forEach((x, k) => {
          const pp = at(at(cp, "ports"), k);
          const po = p.object(x, pp);
          const port = po ? p.int(po, "containerPort", pp, 1, 65535) : undefined;
          const proto = po ? String(own(po, "protocol") ?? "TCP").toLowerCase() : "";
          if (port !== undefined && (proto === "tcp" || proto === "udp")) {
            ports.push(`${port}/${proto}`);
          }
        });
        const st = statuses.find((s) =>
          typeof s === "object" && s !== null && own(s, "name") === cname
        );
        const restarts = st && Number.isInteger(own(st, "restartCount"))
          ? Math.min(own(st, "restartCount") as number, 1e6)
          : 0;
        const state = st && typeof own(st, "state") === "object" && own(st, "state") !== null &&
            own(own(st, "state") as Json, "running") === undefined
          ? "exited"
          : "running";
        containers.push({
          name: uniqueLabel(cname, taken),
          ...(ports.length ? { ports } : {}),
          ...(restarts ? { restarts } : {}),
          ...(state === "exited" ? { state } : {}),
        });
      },
    );
    out.push({ name, node, ip, containers, used: false });
  });
  errors.push(...p.errors);
  return out;
}

/** A DNS label from any name, unique among `taken` (which it joins). */
function uniqueLabel(raw: string, taken: Set<string>): string {
  let base = raw.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 55) ||
    "pod";
  if (!DNS_LABEL.test(base)) base = `p-${base}`.slice(0, 55).replace(/-+$/, "");
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  taken.add(name);
  return name;
}

function podIp(ns: NamespaceDoc): string | undefined {
  const a = ns.devices.find((d) => d.name === "eth0")?.addresses?.[0];
  return a?.split("/")[0];
}

// --- settling against the loader ------------------------------------------------------------

/**
 * Loads the scenario; connected routes the node lacks become
 * `removedKernelRoutes`, and a line the loader refuses (a state Linux
 * accepted but the model cannot hold) becomes an unmodelled entry, named.
 */
function settle(
  scenario: ScenarioDoc,
  imports: readonly { file: string; node: NodeImport }[],
  inferred: string[],
): { ok: true; value: { scenario: ScenarioDoc; world: World } } | {
  ok: false;
  error: ImportError[];
} {
  let doc = scenario;
  // The connected routes the model derives from addresses, before any line
  // is added (a node may have replaced one, e.g. by an unreachable route).
  const bare = loadScenario({
    ...doc,
    nodes: [],
    pods: [],
    namespaces: doc.namespaces.map((ns) => ({
      ...ns,
      routes: [],
      neighbours: [],
      fdb: [],
      iptables: [],
      unmodelled: [],
    })),
  });
  if (bare.ok) doc = withRemovedKernelRoutes(doc, bare.value, imports);
  for (let round = 0; round < 4; round++) {
    const r = loadScenario(doc);
    if (r.ok) {
      const fixed = withRemovedKernelRoutes(doc, r.value, imports);
      if (fixed === doc) return { ok: true, value: { scenario: doc, world: r.value } };
      doc = fixed;
      continue;
    }
    const next = structuredClone(doc) as
      & { namespaces: (NamespaceDoc & Record<string, unknown>)[] }
      & ScenarioDoc;
    let moved = 0;
    for (const e of r.error) {
      const m = /^\/namespaces\/(\d+)\/(routes|neighbours|fdb|iptables)\/(\d+)$/.exec(e.path);
      if (!m) continue;
      const ns = next.namespaces[Number(m[1])];
      const list = ns[m[2]] as (string | null)[];
      const line = list[Number(m[3])];
      if (typeof line !== "string") continue;
      list[Number(m[3])] = null;
      const dst = m[2] === "routes" ? /^(?:[a-z]+ )?(\S+)/.exec(line)?.[1] : undefined;
      const prefix = dst === undefined
        ? undefined
        : dst === "default"
        ? "0.0.0.0/0"
        : dst.includes("/")
        ? dst
        : `${dst}/32`;
      const entry = prefix && Prefix.parse(prefix).ok
        ? {
          kind: "route" as const,
          what: `a route podnet refuses (${e.message.slice(0, 80)})`,
          text: line,
          dst: prefix,
        }
        : {
          kind: "listed" as const,
          what: `${m[2]} entry podnet refuses (${e.message.slice(0, 80)})`,
          text: line,
        };
      (ns as Record<string, unknown>).unmodelled = [...(ns.unmodelled ?? []), entry];
      inferred.push(`${ns.name}: kept "${line}" as unmodelled: ${e.message}`);
      moved++;
    }
    for (const ns of next.namespaces) {
      for (const k of ["routes", "neighbours", "fdb", "iptables"]) {
        if (Array.isArray(ns[k])) ns[k] = (ns[k] as (string | null)[]).filter((x) => x !== null);
      }
    }
    if (moved === 0) {
      const file = imports[0]?.file ?? "(input)";
      return {
        ok: false,
        error: r.error.slice(0, 20).map((e) => {
          const nsIndex = /^\/namespaces\/(\d+)/.exec(e.path)?.[1];
          const nsName = nsIndex === undefined ? undefined : doc.namespaces[Number(nsIndex)]?.name;
          const owner = imports.find((i) =>
            i.node.namespaces.some((n) => n.name === nsName)
          )?.file ?? file;
          return {
            file: owner,
            path: `(imported scenario) ${e.path}`,
            value: e.value,
            message: e.message,
          };
        }),
      };
    }
    doc = next;
  }
  return {
    ok: false,
    error: [{
      file: imports[0]?.file ?? "(input)",
      path: "",
      value: undefined,
      message: "The imported scenario does not settle",
    }],
  };
}

/** Adds `removedKernelRoutes` for connected routes the model derives but the node did not have. */
function withRemovedKernelRoutes(
  doc: ScenarioDoc,
  world: World,
  imports: readonly { node: NodeImport }[],
): ScenarioDoc {
  let changed = false;
  const namespaces = doc.namespaces.map((ns) => {
    const collected = imports.map((i) => i.node.kernel.get(ns.name)).find((k) => k !== undefined);
    if (collected === undefined || ns.removedKernelRoutes !== undefined) return ns;
    const have = new Set(collected.map((l) => {
      const m = /^(\S+) dev (\S+)/.exec(l);
      return m ? `${m[1].includes("/") ? m[1] : `${m[1]}/32`} ${m[2]}` : l;
    }));
    const w = world.namespaces.find((x) => x.name === ns.name)!;
    const missing = w.routes.filter((r) => r.proto === "kernel" && !have.has(`${r.dst} ${r.dev}`));
    if (missing.length === 0) return ns;
    changed = true;
    return { ...ns, removedKernelRoutes: missing.map((r) => `${r.dst} dev ${r.dev}`) };
  });
  return changed ? { ...doc, namespaces } : doc;
}

/**
 * A node whose pods attach by routed veths (Calico): every pod namespace's
 * `eth0` is a veth whose peer in the root namespace is in no bridge. Its
 * pod range is the `blackhole` route that covers a pod's address (Calico's
 * IPAM block), or else the smallest range that covers its pods' addresses
 * (at least a /30, as a node needs).
 */
function routedRange(
  root: NamespaceDoc,
  podNs: readonly NamespaceDoc[],
): { cidr: Prefix; why: string } | undefined {
  if (podNs.length === 0) return undefined;
  const ips: Addr[] = [];
  for (const ns of podNs) {
    const eth0 = ns.devices.find((d) => d.name === "eth0" && d.kind === "veth");
    const peer = eth0?.peer?.split("/");
    const host = peer && peer[0] === root.name
      ? root.devices.find((d) => d.name === peer[1] && d.kind === "veth")
      : undefined;
    if (host === undefined || host.master !== undefined) return undefined;
    // The pod's address: on eth0, or wherever in the pod it was moved.
    const addr = eth0?.addresses?.[0] ??
      ns.devices.flatMap((d) => d.addresses ?? []).find((a) => !a.startsWith("127."));
    if (addr !== undefined) ips.push(Prefix.mustParse(addr).addr);
  }
  if (ips.length === 0) return undefined;
  const block = (root.routes ?? []).map((line) => parseRoute(line)).find((r) =>
    r.ok && r.value.type === "blackhole" && ips.some((ip) => r.value.dst.contains(ip)) &&
    r.value.dst.bits <= 30
  );
  if (block?.ok) return { cidr: block.value.dst, why: "its blackhole route: Calico's IPAM block" };
  const all = covering(ips.map((ip) => Prefix.of(ip, 32)));
  const cidr = all.bits > 30 ? Prefix.of(all.addr, 30).masked() : all;
  return { cidr, why: "the smallest range covering its pods' addresses" };
}
