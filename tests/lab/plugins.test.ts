/**
 * Pods made by the real CNI plugins (loopback, bridge + host-local, as
 * flannel's CNI plugin configures them): what they make matches the model
 * item by item on the flannel examples, the probes still agree, DEL frees
 * every address, nothing is left; and a model that says something else is
 * caught, naming the item.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cniDir, type CniPod, cniPods, readPods, standardPods } from "../../src/lab/cni.js";
import { Lab } from "../../src/lab/linux.js";
import { disagreements, runLab } from "../../src/lab/runner.js";
import { parseScenario } from "../../src/scenario/load.js";
import type { World } from "../../src/model/world.js";
import { skipSuite } from "../support/skip.ts";
import { labNamespaces, rootState, skipReason } from "./support.ts";

function example(name: string): World {
  const w = parseScenario(
    Deno.readTextFileSync(new URL(`../../lessons/scenarios/${name}`, import.meta.url)),
  );
  if (!w.ok) throw new Error(`${name} does not load`);
  return w.value;
}

/** The pods the plugins made in a lab of `world`, read back against `model` pods. */
async function readAgainst(
  dir: string,
  world: World,
  change: (p: CniPod) => CniPod | undefined,
): Promise<readonly string[]> {
  const pods = cniPods(world);
  const lab = await Lab.open(world, {}, { dir: dir, pods });
  try {
    const model = pods.map((p) => change(p) ?? p);
    return (await readPods(lab, dir, world, model)).check.differences;
  } finally {
    await lab.close();
  }
}

const why = await skipReason("lab plugins");
const dir = why ? undefined : await cniDir();
if (!why && dir === undefined) {
  skipSuite("lab plugins", "the CNI plugins (containernetworking-plugins) are not installed");
}

if (dir !== undefined) {
  for (const name of ["vxlan.json", "host-gw.json"]) {
    test(`lab plugins: ${name}: the plugins' pods match the model, every probe agrees, DEL frees every address`, async () => {
      const world = example(name);
      assert.ok(cniPods(world).length >= 2, "the example's pods are the plugins' to make");
      const before = await rootState();
      const r = await runLab(world);
      assert.ok(r.cni, "the plugins made the pods");
      assert.is(r.cni!.dir, dir);
      // Per pod: lo and eth0 (exists, up, addresses, MTU), each route, the host end.
      assert.ok(r.cni!.items >= cniPods(world).length * 12, `${r.cni!.items} items`);
      assert.equal(r.cni!.differences, []);
      assert.equal(r.cni!.released, [], "host-local still holds addresses after DEL");
      assert.is(disagreements(r), 0);
      assert.ok(r.rows.length > 10);
      assert.equal(await labNamespaces(r.prefix), [], "namespaces left behind");
      assert.is(await rootState(), before, "the root namespace changed");
    });
  }

  test("lab plugins: a model whose pod lacks the route the plugins make is caught, naming the route", async () => {
    const world = example("vxlan.json");
    const pod = world.pods[0].name;
    const d = await readAgainst(
      dir,
      world,
      (p) =>
        p.pod.name === pod
          ? { ...p, podNs: { ...p.podNs, routes: p.podNs.routes.filter((r) => r.dst.bits !== 16) } }
          : undefined,
    );
    assert.ok(
      d.some((x) =>
        x.startsWith(`pod ${pod} route 10.244.0.0/16 via`) && x.includes("model absent")
      ),
      d.join("\n"),
    );
  });

  test("lab plugins: a model whose pod MTU or host end differs from what the plugins made is caught", async () => {
    const world = example("host-gw.json");
    const pod = world.pods[1].name;
    const d = await readAgainst(dir, world, (p) =>
      p.pod.name === pod
        ? {
          ...p,
          podNs: {
            ...p.podNs,
            devices: p.podNs.devices.map((x) => x.name === "eth0" ? { ...x, mtu: x.mtu - 1 } : x),
          },
          hostEnd: { ...p.hostEnd, up: false },
        }
        : undefined);
    assert.ok(d.some((x) => x.startsWith(`pod ${pod} eth0 mtu`)), d.join("\n"));
    assert.ok(
      d.some((x) => x.startsWith(`pod ${pod} host end`) && x.includes(" up:")),
      d.join("\n"),
    );
  });

  test("lab plugins: a sandbox the world changed (eth0 down) is built by the lab's commands, as the model has it; so is one whose node forwards nothing", () => {
    const world = example("vxlan.json");
    const pod = world.pods[0];
    const changed: World = {
      ...world,
      namespaces: world.namespaces.map((ns) =>
        ns.name === pod.namespace
          ? { ...ns, devices: ns.devices.map((x) => x.name === "eth0" ? { ...x, up: false } : x) }
          : ns
      ),
    };
    const names = standardPods(changed).map((p) => p.pod.name);
    assert.not.ok(names.includes(pod.name));
    assert.is(names.length, world.pods.length - 1);
    // The plugins make all of a world's pods or none: the lab's commands build this one.
    assert.equal(cniPods(changed), []);
    // A node with ip_forward off: the bridge plugin would turn it on.
    const node = world.nodes[1].namespace;
    const noForward: World = {
      ...world,
      namespaces: world.namespaces.map((ns) =>
        ns.name === node ? { ...ns, sysctl: { ...ns.sysctl, ipForward: false } } : ns
      ),
    };
    assert.equal(cniPods(noForward), []);
  });

  test("lab plugins: without them (cniPlugins: false) the lab builds the pods itself and says nothing of plugins", async () => {
    const r = await runLab(example("vxlan.json"), { cniPlugins: false, probes: [] });
    assert.is(r.cni, undefined);
  });
}

test.run();
