/**
 * The command-line face: `deno task trace` and `deno task verify` as a user
 * runs them — exit codes, the JSON fields, and one-line errors for bad
 * input.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";

async function run(script: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `src/cli/${script}.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

test("cli: trace --json reports delivery with receiver, source and TTL", async () => {
  const r = await run("trace", "lessons/scenarios/host-gw.json", "a", "c", "--json");
  assert.is(r.code, 0);
  const j = JSON.parse(r.stdout);
  assert.is(j.verdict, "delivered");
  assert.is(j.to, "c");
  assert.is(j.src, "10.244.1.2");
  assert.is(j.ttl, 62);
  assert.ok(Array.isArray(j.hops) && j.hops.length === 5);
});

test("cli: trace --json reports a drop with its reason, and exits 1", async () => {
  const r = await run("trace", "lessons/scenarios/same-range.json", "a", "d", "--json");
  assert.is(r.code, 1);
  const j = JSON.parse(r.stdout);
  assert.is(j.verdict, "dropped");
  assert.is(j.reason, "wrong-pod");
});

test("cli: trace prints a table with the verdict in the chosen language", async () => {
  const en = await run("trace", "lessons/scenarios/vxlan.json", "a/app", "10.244.2.2");
  assert.match(en.stdout, /VXLAN flannel\.1 \(VNI 1\) encapsulates/);
  assert.match(en.stdout, /Delivered to pod c: source 10\.244\.1\.2, TTL 62/);
  const ko = await run("trace", "lessons/scenarios/vxlan.json", "a", "c", "--lang", "ko");
  assert.match(ko.stdout, /파드 c에 전달: 출발지 10\.244\.1\.2, TTL 62/);
});

test("cli: bad arguments and bad files: one line naming the problem, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["lessons/scenarios/host-gw.json", "zz", "c"],
      /from: No pod, container or namespace called "zz"/,
    ],
    [["lessons/scenarios/host-gw.json", "a", "10.0.0.300"], /to: Invalid IPv4 address/],
    [["lessons/scenarios/host-gw.json", "a"], /Expected 3 arguments/],
    [["missing.json", "a", "c"], /Cannot read scenario missing\.json/],
    [["lessons/scenarios/host-gw.json", "a", "c", "--bogus"], /Unknown option '--bogus'/],
    [["deno.json", "a", "c"], /Scenario deno\.json has \d+ problems: \/\w+: Unknown field "\w+"/],
  ];
  for (const [args, message] of cases) {
    const r = await run("trace", ...args);
    assert.is(r.code, 2, args.join(" "));
    assert.match(r.stderr.split("\n")[0], message);
    assert.is(r.stdout, "");
  }
});

test("cli: verify holds on the sound examples and names counterexamples on the others", async () => {
  for (const name of ["single-host", "gateway", "host-gw", "vxlan"]) {
    const r = await run("verify", `lessons/scenarios/${name}.json`);
    assert.is(r.code, 0, name);
  }
  const same = await run("verify", "lessons/scenarios/same-range.json");
  assert.is(same.code, 1);
  assert.match(same.stdout, /FAILS {2}unique-pod-ips/);
  assert.match(same.stdout, /10\.244\.0\.2 is used by pods a, c/);
  assert.match(same.stdout, /a → d: pod b has the same address as d and took the packet itself/);
  const nat = await run("verify", "lessons/scenarios/nat.json", "--json");
  assert.is(nat.code, 1);
  const j = JSON.parse(nat.stdout);
  const reach = j.invariants.find((i: { name: string }) => i.name === "nat-free-reachability");
  assert.not.ok(reach.holds);
  assert.match(
    reach.counterexamples[0].text,
    /the receiver sees source 192\.168\.0\.1\d, not 172\.17\./,
  );
  // The Services example: every NodePort answers the external client; a pod reaching an
  // endpoint on its own bridge loses the reply (its node bridges without br_netfilter).
  const svc = await run("verify", "lessons/scenarios/services.json");
  assert.is(svc.code, 1);
  assert.match(svc.stdout, /holds {2}nodeport-reachability \(8 checked\)/);
  assert.match(svc.stdout, /FAILS {2}service-reachability \(28 checked, 7 counterexamples\)/);
  assert.match(
    svc.stdout,
    /a → 10\.96\.0\.20:80\/tcp via 10\.244\.1\.3:8080: the reply reached pod-a/,
  );
});

test.run();
