/**
 * Every example scenario, built in network namespaces: the kernel and Linux
 * agree on every probe, and nothing is left behind — no namespace with the
 * run's prefix, no change in the root namespace.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { exportScript } from "../../src/lab/export.js";
import { run } from "../../src/lab/linux.js";
import { parseScenario } from "../../src/scenario/load.js";
import type { World } from "../../src/model/world.js";
import { assertAllAgree, labNamespaces, rootState, skipReason } from "./support.ts";

const dir = new URL("../../lessons/scenarios/", import.meta.url);
const examples: [string, World][] = [];
for (const e of [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".json"))) {
  const w = parseScenario(Deno.readTextFileSync(new URL(e.name, dir)));
  if (w.ok) examples.push([e.name, w.value]);
}
examples.sort(([a], [b]) => a.localeCompare(b));

if (!(await skipReason())) {
  test("lab: there are example scenarios to build", () => {
    assert.ok(examples.length >= 6, `found ${examples.length}`);
  });

  test("lab: every example scenario: kernel and Linux agree on every probe, and nothing is left", async () => {
    const before = await rootState();
    const reports = await assertAllAgree(examples);
    for (const r of reports) {
      assert.equal(await labNamespaces(r.prefix), [], "namespaces left behind");
    }
    assert.is(await rootState(), before, "the root namespace changed");
  });

  test("lab: the exported script builds with `up` and leaves nothing after `down`", async () => {
    const world = examples.find(([f]) => f === "vxlan.json")![1];
    const prefix = `pe${Deno.pid.toString(36)}-`;
    const script = exportScript(world, { prefix });
    assert.ok(script.ok);
    if (!script.ok) return;
    const before = await rootState();
    try {
      const up = await run(["sh", "-s", "up"], script.value);
      assert.is(up.code, 0, up.stderr);
      assert.is((await labNamespaces(prefix)).length, 7);
      const ping = await run([
        "ip",
        "netns",
        "exec",
        `${prefix}pod-a`,
        "ping",
        "-c1",
        "-W1",
        "10.244.2.3",
      ]);
      assert.match(ping.stdout, "ttl=62");
    } finally {
      const down = await run(["sh", "-s", "down"], script.value);
      assert.is(down.code, 0, down.stderr);
    }
    assert.equal(await labNamespaces(prefix), []);
    assert.is(await rootState(), before, "the root namespace changed");
  });
}

test.run();
