/**
 * What the scale lesson's English and Korean pages share, and what its
 * browser test reads to know what each control does: the cluster it
 * verifies, the breakages it offers (built on breakages.ts), the exercise
 * and its check, and the Web Worker client with its fallback.
 *
 * @module
 */
import * as kernel from "../kernel/mod.js";
import { type ClusterSpec, ko, type World } from "../kernel/mod.js";
import {
  fabricFromWorld,
  type NodeCells,
  nodeCells,
  type Summary,
  Verifier,
} from "../kernel/verify/mod.js";
import type { WorkerReply, WorkerRequest } from "../kernel/verify/worker.js";
import { answer } from "../kernel/verify/worker.js";
import * as b from "./breakages.js";
import type { Breakage } from "./breakages.js";
import type { Check, Exercise } from "./checks.js";
import type { Lang } from "./i18n.js";

/**
 * The page's cluster: flannel host-gw on 100 nodes with 4 pods each (400
 * pods, 159,600 ordered pod pairs). Building it takes about 0.3 s in
 * Chromium with 4 pods per node and about 0.6 s with 6, so 4 it is; the
 * pages say so and show the measured times.
 */
export const CLUSTER: ClusterSpec & { nodes: number; pods: number } = {
  mode: "host-gw",
  nodes: 100,
  pods: 4,
};

/** Kubernetes' documented limits ("Considerations for large clusters"). */
export const LIMITS = { nodes: 5000, podsPerNode: 110, pods: 150000 } as const;

/** The ordered pod pairs of a cluster with `pods` pods. */
export const pairsOf = (pods: number): number => pods * (pods - 1);

/** Where the lab starts: the node to break and the node whose pods it loses. */
export const LAB_START = { node: "node-7", target: "node-42" } as const;

/** An underlay address no namespace of the world holds (for a next hop nobody answers). */
export function unusedUnderlayAddress(world: World, node: string): string {
  const ns = kernel.namespaceNamed(world, node);
  const eth0 = ns?.devices.find((d) => d.name === "eth0")?.addresses[0];
  if (!eth0) return "192.168.0.250";
  const used = new Set(
    world.namespaces.flatMap((n) =>
      n.devices.flatMap((d) => d.addresses.map((a) => a.addr.toString()))
    ),
  );
  const first = kernel.Prefix.of(eth0.addr, eth0.bits).first.value;
  const size = 2 ** (32 - eth0.bits);
  for (let k = size - 6; k > 1; k--) {
    const a = kernel.Addr.fromUint32((first + k) >>> 0).toString();
    if (!used.has(a)) return a;
  }
  return "192.168.0.250";
}

function nodeInfo(world: World, name: string) {
  const node = world.nodes.find((n) => n.name === name);
  const ns = node ? kernel.namespaceNamed(world, node.namespace) : undefined;
  const ip = ns?.devices.find((d) => d.name === "eth0")?.addresses[0]?.addr.toString();
  return { node, ns: node?.namespace ?? name, cidr: node?.podCidr.toString() ?? "", ip };
}

/** The node after `name` in the world's list (wrapping), for the loop breakage. */
function nextNode(world: World, name: string, avoid: string): string {
  const names = world.nodes.map((n) => n.name);
  let i = names.indexOf(name);
  do i = (i + 1) % names.length; while (names[i] === avoid && names.length > 2);
  return names[i];
}

/**
 * The lab's breakages for a node and a target node. Ids are stable
 * (`none`, `delete-route`, `wrong-hop`, `loop`, `ip-forward-off`,
 * `masquerade`) whatever the nodes, so a test can pick them.
 *
 * @param world The cluster.
 * @param node The node to break.
 * @param target The node whose pods the route breakages are about.
 * @returns The breakages, "nothing" first.
 */
export function labBreakages(world: World, node: string, target: string): Breakage[] {
  const a = nodeInfo(world, node);
  const t = nodeInfo(world, target);
  const other = nextNode(world, node, target);
  const o = nodeInfo(world, other);
  const nowhere = unusedUnderlayAddress(world, node);
  const masq = `-t nat -A POSTROUTING -s ${a.cidr} -j MASQUERADE`;
  return [
    b.nothing,
    {
      ...b.deleteRoute(a.ns, t.cidr),
      id: "delete-route",
      label: {
        en: `delete ${node}'s route to ${target}'s pods (${t.cidr})`,
        ko: ko`${node}에서 ${`${target} 파드 대역(${t.cidr})`}으로 가는 경로 삭제`,
      },
    },
    {
      ...b.replaceRoute(a.ns, t.cidr, `${t.cidr} via ${nowhere} dev eth0`),
      id: "wrong-hop",
      label: {
        en: `wrong next hop: ${node} sends ${target}'s pods to ${nowhere} (no such node)`,
        ko: `잘못된 다음 홉: ${node}에서 ${target} 파드 대역을 ${nowhere}(없는 노드) 쪽으로 보냄`,
      },
    },
    {
      ...b.together("loop", { en: "", ko: "" }, [
        b.replaceRoute(a.ns, t.cidr, `${t.cidr} via ${o.ip} dev eth0`),
        b.replaceRoute(o.ns, t.cidr, `${t.cidr} via ${a.ip} dev eth0`),
      ]),
      label: {
        en: `routing loop: ${node} and ${other} send ${target}'s pods to each other`,
        ko: `라우팅 루프: ${node}, ${other} 두 노드가 ${target} 파드 대역을 서로에게 보냄`,
      },
    },
    {
      ...b.ipForwardOff(a.ns),
      id: "ip-forward-off",
      label: { en: `ip_forward off on ${node}`, ko: `${node}의 ip_forward 끄기` },
    },
    {
      ...b.firstRule(a.ns, masq),
      id: "masquerade",
      label: {
        en: `MASQUERADE everything ${node}'s pods send (Docker style)`,
        ko: `${node} 파드가 보내는 모든 것에 MASQUERADE (Docker 방식)`,
      },
    },
  ];
}

/** The exercise's broken route: one node's route to another node's pods has a typo in its next hop. */
export const PUZZLE = {
  node: "node-23",
  target: "node-58",
  typo: "10.244.58.0/24 via 192.168.0.168 dev eth0",
} as const;

// --- the verdicts the page computed, so checks need not verify again ------------------------

/** What the page learnt about a world from its incremental verifier. */
export interface Verdict {
  readonly summary: Summary;
  readonly cells: NodeCells;
}

const verdicts = new WeakMap<World, Verdict>();

/**
 * Records the verifier's verdict on a world (the page calls this after each
 * re-check), so that {@linkcode allPairsReach} need not verify it again.
 *
 * @param world The world the verifier last checked.
 * @param verdict Its summary and cells.
 */
export function remember(world: World, verdict: Verdict): void {
  verdicts.set(world, verdict);
}

/**
 * The verdict on a world: the one the page recorded, or a full verification.
 *
 * @param world The world.
 * @returns Summary and cells.
 */
export function verdictOf(world: World): Verdict {
  const known = verdicts.get(world);
  if (known) return known;
  const v = new Verifier(fabricFromWorld(world));
  const verdict = { summary: v.summary(), cells: nodeCells(v) };
  verdicts.set(world, verdict);
  return verdict;
}

const fmt = (lang: Lang, n: number) => n.toLocaleString(lang === "en" ? "en-US" : "ko-KR");

/**
 * Exercise check: every ordered pod pair reaches its destination NAT-free,
 * according to the verifier (exact, see docs/verifier.md). Lists the worst
 * node pairs otherwise.
 */
export function allPairsReach(limit = 3): Check {
  return (world, lang) => {
    const { summary, cells } = verdictOf(world);
    const en = lang === "en";
    if (summary.holds) {
      return {
        ok: true,
        details: [
          en
            ? `all ${fmt(lang, summary.checked)} ordered pod pairs reach each other NAT-free`
            : `순서 있는 파드 쌍 ${fmt(lang, summary.checked)}개가 모두 NAT 없이 서로 닿음`,
        ],
      };
    }
    const n = cells.nodes.length;
    const worst = [...cells.failing.keys()].filter((k) => cells.failing[k] > 0)
      .sort((x, y) => cells.failing[y] - cells.failing[x]).slice(0, limit);
    return {
      ok: false,
      details: [
        en
          ? `${fmt(lang, summary.failing)} of ${fmt(lang, summary.checked)} pod pairs still fail`
          : `파드 쌍 ${fmt(lang, summary.checked)}개 중 ${
            fmt(lang, summary.failing)
          }개가 아직 실패`,
        ...worst.map((k) =>
          `${cells.nodes[Math.floor(k / n)]} → ${cells.nodes[k % n]}: ${
            fmt(lang, cells.failing[k])
          } / ${fmt(lang, cells.total[k])}`
        ),
      ],
    };
  };
}

/** The lesson's exercise. */
export const SCALE = {
  fix: {
    task: {
      en: "One node of this cluster has a typo in one route. Find it in the heatmap, pick that " +
        "node below and correct the line in its table, until all pod pairs are green again.",
      ko:
        "이 클러스터의 한 노드에 경로 하나가 오타로 잘못 적혀 있습니다. 히트맵에서 찾아 아래에서 " +
        "그 노드를 고른 다음 표의 줄을 바로잡아, 모든 파드 쌍이 다시 초록색이 되게 하세요.",
    },
    hint: {
      en: "The red cell's row is the node that sends wrongly; its column is the node whose pods " +
        "are lost. In host-gw, node-N's pods are 10.244.N.0/24 behind 192.168.0.(10+N).",
      ko:
        "빨간 칸의 행이 잘못 보내는 노드이고, 열이 파드를 잃은 노드입니다. host-gw에서 node-N의 " +
        "파드 대역은 10.244.N.0/24이고, 192.168.0.(10+N) 뒤에 있습니다.",
    },
    check: allPairsReach(),
  } satisfies Exercise,
};

// --- the worker -------------------------------------------------------------------------------

let nextId = 1;

/** What the worker client hands back: the reply, and where the work ran. */
export interface WorkerOutcome {
  readonly reply: WorkerReply;
  /** `worker` normally; `page` when no worker could run and the page did the work itself. */
  readonly ran: "worker" | "page";
  /** Why the worker was not used, when it was not. */
  readonly why?: string;
}

/** A request without its id (the client numbers requests). */
export type Ask =
  | Omit<Extract<WorkerRequest, { kind: "build" }>, "id">
  | Omit<Extract<WorkerRequest, { kind: "scale" }>, "id">;

/**
 * Sends one request to a fresh worker and returns its reply; the worker is
 * terminated afterwards, or after `timeoutMs`. When workers are not
 * available or the worker fails to start, the page answers the request
 * itself (blocking, but the page still works).
 *
 * @param url The worker module's URL (`import.meta.resolve("../kernel/verify/worker.js")`).
 * @param ask The request.
 * @param options How long to wait (default 60 s).
 * @returns The reply and where it ran.
 */
export function askWorker(
  url: string | undefined,
  ask: Ask,
  options: { timeoutMs?: number } = {},
): Promise<WorkerOutcome> {
  const request = { ...ask, id: nextId++ } as WorkerRequest;
  const inPage = (why: string): WorkerOutcome => ({ reply: answer(request), ran: "page", why });
  if (url === undefined || typeof Worker === "undefined") {
    return Promise.resolve(inPage("no Web Worker here"));
  }
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(url, { type: "module" });
    } catch (e) {
      resolve(inPage((e as Error).message));
      return;
    }
    const finish = (outcome: WorkerOutcome) => {
      clearTimeout(timer);
      worker.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(
      () =>
        finish({
          reply: { id: request.id, ok: false, message: "The worker took too long and was stopped" },
          ran: "worker",
        }),
      options.timeoutMs ?? 60_000,
    );
    worker.addEventListener("message", (e: MessageEvent<WorkerReply>) => {
      if (e.data?.id === request.id) finish({ reply: e.data, ran: "worker" });
    });
    worker.addEventListener("error", (e) => {
      e.preventDefault();
      clearTimeout(timer);
      worker.terminate();
      resolve(inPage(e.message || "the worker failed to start"));
    });
    worker.postMessage(request);
  });
}

/** The page's cluster, with how it was made and how long that took. */
export interface Built {
  readonly world: World;
  /** Milliseconds to build the scenario (in the worker, or in the page). */
  readonly buildMillis: number;
  /** Milliseconds to load the scenario into a world in the page. */
  readonly loadMillis: number;
  readonly ran: "worker" | "page";
  readonly why?: string;
}

/**
 * Builds a cluster's scenario in a worker and loads it here; when the
 * worker cannot do it, builds it in the page.
 *
 * @param url The worker module's URL.
 * @param spec The cluster.
 * @returns The world and timings.
 * @throws When the spec itself is refused (a programming error in the page).
 */
export async function buildCluster(url: string | undefined, spec: ClusterSpec): Promise<Built> {
  const out = await askWorker(url, { kind: "build", spec });
  const r = out.reply;
  if (!r.ok || r.kind !== "build") {
    const start = performance.now();
    const world = kernel.unwrap(kernel.buildWorld(spec), (e) => `${e.field}: ${e.message}`);
    return {
      world,
      buildMillis: performance.now() - start,
      loadMillis: 0,
      ran: "page",
      why: r.ok ? "unexpected reply" : r.message,
    };
  }
  const start = performance.now();
  const world = kernel.unwrap(
    kernel.loadScenario(r.doc),
    (errors) => errors.map(kernel.formatLoadError).join("; "),
  );
  return {
    world,
    buildMillis: r.millis,
    loadMillis: performance.now() - start,
    ran: out.ran,
    why: out.why,
  };
}
