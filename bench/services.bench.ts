/**
 * Services at scale (issue 15): the Service rules are checked today by
 * tracing every pod × Service × endpoint branch with its reply
 * (`serviceReachability`); the scale verifier has no Service classes yet.
 * This bench measures that cost on a host-gw world small enough to build
 * (10 nodes, 3 pods each, Services of 5 endpoints programmed by the
 * kube-proxy builder), then states what it means for the targets
 * at 5,000 nodes (30 pods each) with 10,000 Services of 5 endpoints: full
 * verification in 1 s and 500 MB, an endpoint added or removed re-checked
 * in 100 µs. The extrapolated rows are marked as such; they miss.
 *
 * @module
 */
import { buildWorld, serviceReachability, unwrap, type World } from "../src/mod.js";
import type { ServiceInput } from "../src/scenario/plan.js";
import { type Row, timeEach, track } from "./support.js";

const NODES = 10;
const PODS = 3;
const SERVICES = 20;
const ENDPOINTS = 5;

/** The scale. */
const TARGET = { nodes: 5_000, pods: 30, services: 10_000, endpoints: 5 };

/** `SERVICES` ClusterIP Services of `ENDPOINTS` endpoints each, spread over the pods. */
function services(pods: readonly string[]): ServiceInput[] {
  return Array.from({ length: SERVICES }, (_, i) => ({
    name: `svc-${i}`,
    portName: "http",
    clusterIp: `10.96.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    protocol: "udp" as const,
    port: 80,
    targetPort: 8080,
    endpoints: Array.from({ length: ENDPOINTS }, (_, k) => pods[(i * 7 + k * 5) % pods.length]),
  }));
}

function world(): World {
  const spec = { mode: "host-gw" as const, nodes: NODES, pods: PODS };
  const plain = unwrap(buildWorld(spec), (e) => e.message);
  const names = plain.pods.map((p) => p.name);
  return unwrap(buildWorld({ ...spec, services: services(names) }), (e) => e.message);
}

/**
 * The rows: measured per-branch cost and full check at the small scale,
 * then the same method extrapolated to the scale.
 *
 * @returns Rows for the summary table.
 */
export function bench(): Row[] {
  const base = track.settle();
  const w = world();
  const size = `${NODES} nodes, ${NODES * PODS} pods, ${SERVICES} Services × ${ENDPOINTS}`;
  let checked = 0;
  const full = timeEach(
    () => {
      checked = serviceReachability(w).checked;
    },
    3,
    1,
  );
  const memory = track.heapSince(base);
  const perBranch = full.median / checked;
  const branchesAtScale = TARGET.nodes * TARGET.pods * TARGET.services * TARGET.endpoints;
  const fullAtScale = perBranch * branchesAtScale;
  // An endpoint added or removed: every pod re-checks that Service's branches.
  const recheckAtScale = perBranch * TARGET.nodes * TARGET.pods * TARGET.endpoints;
  const scale = `${TARGET.nodes} nodes, ${TARGET.nodes * TARGET.pods} pods, ` +
    `${TARGET.services} Services × ${TARGET.endpoints}`;
  return [
    {
      what: "services: one pod × Service × endpoint branch traced with its reply",
      size,
      median: perBranch,
      target: "(measured)",
    },
    {
      what: "services: serviceReachability, every branch traced",
      size,
      median: full.median,
      p99: full.p99,
      memory,
      target: "(measured)",
    },
    {
      what: "services: full verification by tracing, extrapolated (no Service classes yet)",
      size: scale,
      median: fullAtScale,
      target: "≤ 1 s, ≤ 500 MB",
      ok: fullAtScale <= 1000,
    },
    {
      what: "services: endpoint add/remove re-check by tracing, extrapolated",
      size: scale,
      median: recheckAtScale,
      target: "≤ 0.1 ms median",
      ok: recheckAtScale <= 0.1,
    },
  ];
}
