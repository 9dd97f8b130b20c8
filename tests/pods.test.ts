/**
 * Pod lifecycle: the pause container holds the namespace. Restarting an app
 * container keeps namespace and IP; killing the pause container or deleting
 * the pod destroys them; host-local IPAM hands addresses out round-robin.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { uniquePodIps } from "../src/invariants/invariants.js";
import {
  createPod,
  createPods,
  deletePod,
  killPause,
  type PodChange,
  restartContainer,
  startContainer,
  stopContainer,
} from "../src/pods/lifecycle.js";
import { namespaceNamed, nodeNamed, podIp, podNamed } from "../src/world/query.js";
import type { World } from "../src/model/world.js";
import { holds } from "./support/property.ts";
import { example, must, traced } from "./support/world.ts";

const ipOf = (w: World, pod: string) => podIp(w, podNamed(w, pod)!)?.toString();

test("pods: restarting an app container keeps the namespace and the IP", () => {
  const w = example("single-host");
  const r = must(restartContainer(w, "a/app"));
  assert.is(podNamed(r.world, "a")!.namespace, "pod-a");
  assert.is(ipOf(r.world, "a"), ipOf(w, "a"));
  assert.is(podNamed(r.world, "a")!.containers.find((c) => c.name === "app")!.restarts, 1);
  assert.equal(r.events.map((e) => e.kind), ["container-restarted"]);
});

test("pods: killing the pause container destroys the namespace; the new sandbox gets a new namespace and IP", () => {
  const w = example("single-host");
  const r = must(killPause(w, "a"));
  assert.equal(r.events.map((e) => e.kind), [
    "namespace-destroyed",
    "veth-deleted",
    "ip-freed",
    "namespace-created",
    "ip-allocated",
    "veth-created",
    "container-restarted",
    "container-restarted",
    "container-restarted",
  ]);
  assert.is(namespaceNamed(r.world, "pod-a"), undefined, "the old namespace is gone");
  assert.is.not(podNamed(r.world, "a")!.namespace, "pod-a");
  assert.is(
    ipOf(r.world, "a"),
    "10.244.1.5",
    "host-local continues after the last address it handed out",
  );
  assert.is(traced(r.world, { from: "b", to: "a" }).verdict.kind, "delivered");
});

test("pods: deleting a pod frees its IP and its host veth; round-robin reuses it only after wrapping", () => {
  const w = example("single-host");
  const hostVeths = (x: World) =>
    namespaceNamed(x, "node-1")!.devices.filter((d) => d.kind === "veth").length;
  const gone = must(deletePod(w, "b"));
  assert.is(podNamed(gone.world, "b"), undefined);
  assert.is(hostVeths(gone.world), hostVeths(w) - 1);
  assert.ok(gone.events.some((e) => e.kind === "ip-freed" && e.ip.toString() === "10.244.1.3"));
  const next = must(createPod(gone.world, { name: "e", node: "node-1" }));
  assert.is(ipOf(next.world, "e"), "10.244.1.5");
});

test("pods: a stopped container stops answering on its ports; starting it again answers", () => {
  const w = example("host-gw");
  const stopped = must(stopContainer(w, "c/app")).world;
  const refused = traced(stopped, { from: "a", to: "c", proto: "tcp", port: 8080 }).verdict;
  assert.ok(refused.kind === "dropped" && refused.drop.reason === "port-unreachable");
  const again = must(startContainer(stopped, "c/app")).world;
  const v = traced(again, { from: "a", to: "c", proto: "tcp", port: 8080 }).verdict;
  assert.ok(v.kind === "delivered" && v.container === "app");
  assert.is(ipOf(again, "c"), ipOf(w, "c"));
});

test("pods: bad operations are errors that name what is wrong", () => {
  const w = example("single-host");
  const cases: [() => { ok: boolean; error?: { message: string } }, RegExp][] = [
    [() => createPod(w, { name: "a", node: "node-1" }), /exists/],
    [() => createPod(w, { name: "x", node: "node-7" }), /No node called "node-7"/],
    [() => createPod(w, { name: "Bad_Name", node: "node-1" }), /lower-case/],
    [() => restartContainer(w, "a/nope"), /no container "nope"/],
    [() => restartContainer(w, "zz/app"), /No pod called "zz"/],
    [() => deletePod(w, "zz"), /No pod called "zz"/],
    [() => startContainer(w, "a/app"), /already running/],
  ];
  for (const [op, message] of cases) {
    const r = op() as { ok: false; error: { message: string } };
    assert.not.ok(r.ok);
    assert.match(r.error.message, message);
  }
});

test("pods: a full pod CIDR refuses the next pod", () => {
  let w = example("single-host");
  const node = nodeNamed(w, "node-1")!;
  const free = node.podCidr.size - 3 - w.pods.length;
  for (let i = 0; i < free; i++) w = must(createPod(w, { name: `p${i}`, node: "node-1" })).world;
  const r = createPod(w, { name: "overflow", node: "node-1" });
  assert.ok(!r.ok && /No free address in 10.244.1.0\/24/.test(r.error.message));
});

type Op =
  | { kind: "create"; node: number }
  | { kind: "delete"; pod: number }
  | { kind: "restart"; pod: number }
  | { kind: "kill-pause"; pod: number };

test("pods: any sequence of lifecycle operations keeps pod IPs unique, inside their node's CIDR, one namespace per live pod", () => {
  const ops = fc.array(
    fc.oneof(
      fc.nat({ max: 1 }).map((node): Op => ({ kind: "create", node })),
      fc.nat().map((pod): Op => ({ kind: "delete", pod })),
      fc.nat().map((pod): Op => ({ kind: "restart", pod })),
      fc.nat().map((pod): Op => ({ kind: "kill-pause", pod })),
    ),
    { maxLength: 40 },
  );
  holds(
    fc.property(ops, (list) => {
      let w = example("host-gw");
      let n = 0;
      for (const op of list) {
        const pods = w.pods;
        const pick = (i: number) => pods.length ? pods[i % pods.length].name : "none";
        const r: { ok: boolean; value?: PodChange } = op.kind === "create"
          ? createPod(w, { name: `n${n++}`, node: `node-${op.node + 1}` })
          : op.kind === "delete"
          ? deletePod(w, pick(op.pod))
          : op.kind === "restart"
          ? restartContainer(w, `${pick(op.pod)}/app`)
          : killPause(w, pick(op.pod));
        if (r.ok) w = r.value!.world;
        assert.ok(uniquePodIps(w).holds, "unique IPs");
        for (const p of w.pods) {
          assert.ok(
            nodeNamed(w, p.node)!.podCidr.contains(podIp(w, p)!),
            `${p.name} inside its node's CIDR`,
          );
          assert.ok(namespaceNamed(w, p.namespace!), `${p.name} has its namespace`);
        }
        assert.is(w.namespaces.filter((x) => x.role === "pod").length, w.pods.length);
      }
      return true;
    }),
    100,
  );
});

test("pods: creating pods in one batch gives the same world, events and refusal as creating them one by one", () => {
  const spec = fc.record({
    name: fc.oneof(
      fc.constantFrom("a", "b", "x", "y", "Bad_Name", "z"),
      fc.nat(30).map((i) => `p${i}`),
    ),
    node: fc.constantFrom("node-1", "node-2", "node-9"),
    pause: fc.boolean(),
  });
  const start = fc.tuple(
    fc.constantFrom("host-gw", "vxlan", "single-host", "calico-bgp", "calico-vxlan"),
    fc.array(fc.nat(), { maxLength: 3 }),
  );
  holds(
    fc.property(start, fc.array(spec, { maxLength: 12 }), ([mode, kills], specs) => {
      // Start from a world whose IPAM has moved on (sandboxes recreated), so allocation continues.
      let w = example(mode as "host-gw");
      for (const k of kills) w = must(killPause(w, w.pods[k % w.pods.length].name)).world;
      let one: { world: World; events: unknown[] } | { error: unknown } = { world: w, events: [] };
      for (const s of specs) {
        if (!("world" in one)) break;
        const r = createPod(one.world, s);
        one = r.ok
          ? { world: r.value.world, events: [...one.events, ...r.value.events] }
          : { error: r.error };
      }
      const batch = createPods(w, specs);
      if ("world" in one) {
        assert.ok(batch.ok, `the batch was refused: ${JSON.stringify(!batch.ok && batch.error)}`);
        assert.equal(batch.value.world, one.world);
        assert.equal(batch.value.events, one.events);
      } else {
        if (batch.ok) assert.unreachable("one by one refused a pod the batch created");
        else assert.equal(batch.error, one.error);
      }
      return true;
    }),
    150,
  );
});

test.run();
