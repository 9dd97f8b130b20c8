import { buildWorld } from "../src/mod.ts";
const nodes = Number(Deno.args[0] ?? 1000);
const spec = { mode: Deno.args[2] ?? "host-gw", nodes, pods: Number(Deno.args[1] ?? 30),
  ...(nodes > 250 ? { podCidrs: Array.from({ length: nodes }, (_, i) => `10.${16 + (i >> 8)}.${i & 255}.0/24`),
  clusterCidr: "10.0.0.0/8", underlay: "192.168.0.0/16" } : {}) } as const;
const t = performance.now();
const w = buildWorld(spec as any);
console.log("buildWorld", (performance.now() - t).toFixed(0), "ms", (Deno.memoryUsage().heapUsed/1e6).toFixed(0), "MB", w.ok);
