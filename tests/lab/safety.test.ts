/**
 * The lab's safety rules, checked on a real box: two runs at once never
 * collide, Ctrl-C removes everything (namespaces and the agents inside
 * them), the root namespace never changes, and the pause-container demo
 * cleans up after itself.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { run, sleep } from "../../src/lab/linux.js";
import { runPauseDemo } from "../../src/lab/pause.js";
import { runLab } from "../../src/lab/runner.js";
import { example } from "../support/world.ts";
import { assertAgrees, labNamespaces, rootState, skipReason } from "./support.ts";

const until = async (ok: () => Promise<boolean>, ms: number) => {
  const end = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > end) return false;
    await sleep(50);
  }
  return true;
};

if (!(await skipReason())) {
  test("lab: two runs at once use their own namespaces and both agree", async () => {
    const before = await rootState();
    const world = example("single-host");
    const [a, b] = await Promise.all([runLab(world), runLab(world)]);
    assert.is.not(a.prefix, b.prefix);
    assertAgrees(a);
    assertAgrees(b);
    assert.equal([...await labNamespaces(a.prefix), ...await labNamespaces(b.prefix)], []);
    assert.is(await rootState(), before);
  });

  test("lab: Ctrl-C (SIGINT) removes the namespaces and kills the agents", async () => {
    const before = await rootState();
    const prefix = `psig${Deno.pid.toString(36)}-`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "src/cli/lab.ts", "lessons/scenarios/vxlan.json", "--prefix", prefix],
      cwd: new URL("../../", import.meta.url),
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const inside = async () => {
      const pids = await run(["ip", "netns", "pids", `${prefix}pod-a`]);
      return pids.stdout.trim().split("\n").filter((p) => p !== "");
    };
    assert.ok(
      await until(async () => (await inside()).length > 0, 20_000),
      "the lab never started",
    );
    const agents = [];
    for (const ns of await labNamespaces(prefix)) {
      const p = await run(["ip", "netns", "pids", ns]);
      agents.push(...p.stdout.trim().split("\n").filter((x) => x !== ""));
    }
    child.kill("SIGINT");
    const status = await child.status;
    const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
    assert.is(status.code, 130, stderr);
    assert.equal(await labNamespaces(prefix), []);
    for (const pid of agents) {
      assert.ok(await until(async () => !(await alive(pid)), 2000), `process ${pid} still runs`);
    }
    assert.is(await rootState(), before);
  });

  test("lab: the pause container keeps the namespace while the app restarts, and takes it along", async () => {
    const before = await rootState();
    const prefix = `ppz${Deno.pid.toString(36)}-`;
    const demo = await runPauseDemo({ prefix });
    assert.ok(demo.holds, JSON.stringify(demo.steps, null, 2));
    assert.equal(await labNamespaces(prefix), []);
    assert.is(await rootState(), before);
  });
}

/** Whether a process runs (a zombie waiting to be reaped does not). */
async function alive(pid: string): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

test.run();
