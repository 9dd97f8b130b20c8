/**
 * The importer on collector documents captured from a lab built from the
 * vxlan example (tests/fixtures/import/): the imported world traces like
 * the example; what the model lacks is kept, listed and stops a trace;
 * hostile, truncated, reordered, mutated and random input never makes it
 * throw, and everything it refuses names the file, the JSON path and the
 * value. tests/lab/import.test.ts runs the real collector in namespaces.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { importCluster, type InputFile } from "../src/import/cluster.js";
import { formatImportReport } from "../src/import/report.js";
import { trace } from "../src/trace/tracer.js";
import { holds } from "./support/property.ts";
import { example } from "./support/world.ts";

const FIXTURES = ["vxlan-node-1.json", "vxlan-node-2.json"].map((f) => ({
  file: f,
  text: Deno.readTextFileSync(`tests/fixtures/import/${f}`),
}));

type Doc = {
  node: string;
  namespaces: { netns: string | null; commands: Record<string, { status: number; out: string }> }[];
};

function docs(): Doc[] {
  return FIXTURES.map((f) => JSON.parse(f.text));
}

function files(ds: Doc[]): InputFile[] {
  return ds.map((d, i) => ({ file: `n${i + 1}.json`, text: JSON.stringify(d) }));
}

/** Edits the JSON a command printed in one namespace. */
function editOut(d: Doc, ns: number, key: string, edit: (v: unknown[]) => unknown[]) {
  const c = d.namespaces[ns].commands[key];
  c.out = JSON.stringify(edit(JSON.parse(c.out)));
}

test("import: the vxlan lab's documents trace like the vxlan example, pair by pair", () => {
  const r = importCluster(FIXTURES);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  const original = example("vxlan");
  const w = r.value.world;
  assert.is(w.nodes.length, 2);
  assert.is(w.segments.length, 1);
  assert.equal(r.value.report.unmodelled, []);
  for (const a of original.pods) {
    for (const b of original.pods) {
      if (a === b) continue;
      const dst = original.namespaces.find((n) => n.name === b.namespace)!.devices
        .find((d) => d.name === "eth0")!.addresses[0].addr.toString();
      const t1 = trace(original, { from: a.name, to: dst });
      const t2 = trace(w, { from: `imptest-${a.namespace}`, to: dst });
      assert.ok(t1.ok && t2.ok);
      if (!t1.ok || !t2.ok) continue;
      const v1 = t1.value.verdict;
      const v2 = t2.value.verdict;
      assert.is(v2.kind, v1.kind, `${a.name} → ${b.name}`);
      if (v1.kind === "delivered" && v2.kind === "delivered") {
        assert.is(v2.ttl, v1.ttl);
        assert.is(v2.src, v1.src);
      }
    }
  }
  assert.match(formatImportReport(r.value), /Underlay underlay: .* 192\.168\.0\.0\/24/);
});

test("import: wg0, a policy rule and kube-proxy's chains are kept, listed, and stop a trace", () => {
  const ds = docs();
  const root = 0;
  editOut(ds[0], root, "link", (links) => [
    ...links,
    {
      ifindex: 40,
      ifname: "wg0",
      flags: ["NOARP", "UP"],
      mtu: 1480,
      linkinfo: { info_kind: "wireguard" },
    },
  ]);
  editOut(ds[0], root, "addr", (a) => [
    ...a,
    { ifname: "wg0", addr_info: [{ family: "inet", local: "10.244.1.0", prefixlen: 32 }] },
  ]);
  editOut(ds[0], root, "route", (rs) => [
    ...rs,
    {
      dst: "10.244.2.0/26",
      gateway: "192.168.0.12",
      dev: "wg0",
      flags: ["onlink"],
    },
  ]);
  editOut(
    ds[0],
    root,
    "rule",
    (rs) => [...rs, { priority: 100, src: "all", fwmark: "0x1", table: "200" }],
  );
  // The node's back end (nf_tables here) holds kube-proxy's rules.
  const ipt = ds[0].namespaces[root].commands["iptables-nft-save"];
  ipt.out =
    '*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n-A KUBE-SERVICES -d 10.96.0.1/32 -j KUBE-SVC-X\nCOMMIT\n';
  const r = importCluster(files(ds));
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  const whats = r.value.report.unmodelled.map((u) => u.what);
  assert.ok(whats.includes("wg0 (wireguard)"), whats.join(" | "));
  assert.ok(whats.some((w) => /policy routing rule/.test(w)));
  assert.ok(whats.some((w) => /KUBE-SERVICES/.test(w)));
  assert.ok(whats.some((w) => /OUTPUT policy DROP/.test(w)));
  assert.match(formatImportReport(r.value), /WARNING: \d+ thing\(s\) podnet does not model/);
  // pod-a → 10.244.2.2: node-1 meets the policy rule first, at its route lookup.
  const t = trace(r.value.world, { from: "imptest-pod-a", to: "10.244.2.2" });
  assert.ok(
    t.ok && t.value.verdict.kind === "dropped" && t.value.verdict.drop.reason === "unmodelled",
  );
  // Without the rule and the chains, the packet reaches wg0's route and stops there.
  const ds2 = docs();
  editOut(ds2[0], root, "link", (links) => [
    ...links,
    { ifindex: 40, ifname: "wg0", flags: ["UP"], mtu: 1480, linkinfo: { info_kind: "wireguard" } },
  ]);
  editOut(ds2[0], root, "route", (rs) => [
    ...rs,
    { dst: "10.244.2.0/26", gateway: "192.168.0.12", dev: "wg0", flags: ["onlink"] },
  ]);
  const r2 = importCluster(files(ds2));
  if (!r2.ok) throw new Error(JSON.stringify(r2.error));
  const t2 = trace(r2.value.world, { from: "imptest-pod-a", to: "10.244.2.2" });
  assert.ok(t2.ok);
  const v = t2.ok ? t2.value.verdict : undefined;
  assert.ok(
    v?.kind === "dropped" && v.drop.reason === "unmodelled" && v.drop.what === "wg0 (wireguard)",
  );
  // Outside wg0's /26, the modelled route still decides.
  const t3 = trace(r2.value.world, { from: "imptest-pod-a", to: "10.244.2.200" });
  assert.ok(
    t3.ok &&
      !(t3.value.verdict.kind === "dropped" && t3.value.verdict.drop.reason === "unmodelled"),
  );
});

test("import: Calico's tunl0 (ipip any remote any, ttl inherit, nopmtudisc) is modelled: the trace encapsulates", () => {
  const ds = docs();
  editOut(ds[0], 0, "link", (links) => [
    ...links,
    {
      ifindex: 40,
      ifname: "tunl0",
      flags: ["NOARP", "UP", "LOWER_UP"],
      mtu: 1480,
      linkinfo: {
        info_kind: "ipip",
        info_data: { proto: "ipip", remote: "any", local: "any", ttl: 0, pmtudisc: false },
      },
    },
  ]);
  editOut(ds[0], 0, "route", (rs) => [
    ...rs,
    {
      dst: "10.244.2.0/26",
      gateway: "192.168.0.12",
      dev: "tunl0",
      protocol: "bird",
      flags: ["onlink"],
    },
  ]);
  const r = importCluster(files(ds));
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  assert.not.ok(r.value.report.unmodelled.some((u) => /tunl0/.test(u.what)));
  const tunl0 = r.value.world.namespaces.flatMap((ns) => ns.devices).find((d) =>
    d.name === "tunl0"
  );
  assert.is(tunl0?.kind, "ipip");
  const t = trace(r.value.world, { from: "imptest-pod-a", to: "10.244.2.2" });
  assert.ok(t.ok && t.value.hops.some((h) => h.steps.some((s) => s.kind === "ipip-encap")));
  // A tunnel with its own TTL is not what the model does: kept as unmodelled.
  const ds2 = docs();
  editOut(ds2[0], 0, "link", (links) => [
    ...links,
    {
      ifindex: 40,
      ifname: "tunl0",
      flags: ["UP"],
      mtu: 1480,
      linkinfo: { info_kind: "ipip", info_data: { remote: "any", local: "any", ttl: 64 } },
    },
  ]);
  const r2 = importCluster(files(ds2));
  if (!r2.ok) throw new Error(JSON.stringify(r2.error));
  assert.ok(r2.value.report.unmodelled.some((u) => u.what === "tunl0 (ipip)"));
});

test("import: hostile names are refused with file, path and value, never passed on", () => {
  const bad: [string, (d: Doc) => void, RegExp][] = [
    [
      "device name with shell",
      (d) => editOut(d, 0, "link", (l) => [...l, { ifindex: 50, ifname: "a;id>x", mtu: 1500 }]),
      /\/namespaces\/0\/commands\/link\/out#\/\d+\/ifname/,
    ],
    [
      "device name with $()",
      (d) =>
        editOut(d, 1, "link", (l) => [{ ...(l[0] as object), ifname: "$(id)" }, ...l.slice(1)]),
      /\/namespaces\/1\/commands\/link\/out#\/0\/ifname/,
    ],
    [
      "netns with a newline",
      (d) => {
        // Consistently: the node's `ip netns list` names it so too.
        const old = d.namespaces[1].netns!;
        d.namespaces[1].netns = "pod\nrm";
        editOut(
          d,
          0,
          "netns",
          (l) =>
            l.map((
              x,
            ) => ((x as { name: string }).name === old
              ? { ...(x as object), name: "pod\nrm" }
              : x)
            ),
        );
      },
      /\/namespaces\/1\/netns/,
    ],
    ["node with a space", (d) => (d.node = "node 1"), /^\/node$/],
    [
      "link output not JSON",
      (d) => (d.namespaces[0].commands.link.out = "[{"),
      /\/namespaces\/0\/commands\/link\/out/,
    ],
    [
      "route output an object",
      (d) => (d.namespaces[0].commands.route.out = "{}"),
      /\/namespaces\/0\/commands\/route\/out#/,
    ],
    [
      "link command failed",
      (d) => (d.namespaces[0].commands.link.status = 1),
      /\/namespaces\/0\/commands\/link\/status/,
    ],
  ];
  for (const [label, edit, path] of bad) {
    const ds = docs();
    edit(ds[0]);
    const r = importCluster(files(ds));
    assert.ok(!r.ok, label);
    if (r.ok) continue;
    assert.ok(
      r.error.some((e) => e.file === "n1.json" && path.test(e.path)),
      `${label}: ${JSON.stringify(r.error)}`,
    );
  }
});

/** Every error names a file and a path and has a message. */
function wellFormed(r: ReturnType<typeof importCluster>): boolean {
  return r.ok || (r.error.length > 0 &&
    r.error.every((e) =>
      typeof e.file === "string" && typeof e.path === "string" && e.message.length > 0
    ));
}

test("import: namespaces not attached to the node (another node's, a switch's) are left out, said so", () => {
  const ds = docs();
  // node-1's document also holds node-2's namespaces, as `sh collector.sh` in a lab would.
  const extra = ds[1].namespaces.map((n, i) => i === 0 ? { ...n, netns: "imptest-node-2" } : n);
  ds[0].namespaces = [...ds[0].namespaces, ...extra];
  const r = importCluster(files([ds[0]]));
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  assert.equal(r.value.world.namespaces.map((n) => n.name).sort(), [
    "imptest-pod-a",
    "imptest-pod-b",
    "node-1",
  ]);
  assert.ok(
    r.value.report.inferred.some((s) =>
      /3 collected namespace\(s\) have no veth to the node's own or no IPv4/.test(s)
    ),
  );
});

test("import: truncated documents are refused, naming the file (property)", () => {
  holds(
    fc.property(fc.nat({ max: FIXTURES[0].text.trimEnd().length - 1 }), (n) => {
      const r = importCluster([
        { file: "cut.json", text: FIXTURES[0].text.slice(0, n) },
        FIXTURES[1],
      ]);
      return !r.ok && r.error.some((e) => e.file === "cut.json") && wellFormed(r);
    }),
    200,
  );
});

test("import: reordered namespaces, links and routes import the same world or say why (property)", () => {
  holds(
    fc.property(fc.integer(), (seed) => {
      const ds = docs();
      let s = seed;
      const shuffle = <T>(xs: T[]) => {
        for (let i = xs.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) & 0x7fffffff;
          const j = s % (i + 1);
          [xs[i], xs[j]] = [xs[j], xs[i]];
        }
        return xs;
      };
      for (const d of ds) {
        d.namespaces = [d.namespaces[0], ...shuffle(d.namespaces.slice(1))];
        for (let i = 0; i < d.namespaces.length; i++) {
          for (const k of ["link", "addr", "route", "neigh", "fdb"]) {
            editOut(d, i, k, (v) => shuffle([...v]));
          }
        }
      }
      const r = importCluster(shuffle(files(ds)));
      if (!r.ok) return false;
      const t = trace(r.value.world, { from: "imptest-pod-a", to: "10.244.2.2" });
      return t.ok && t.value.verdict.kind === "delivered" && t.value.verdict.ttl === 62;
    }),
    30,
  );
});

/** Every JSON path of a value, with a setter. */
function places(v: unknown, path: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(path);
  if (Array.isArray(v)) v.forEach((x, i) => places(x, [...path, i], out));
  else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) places(x, [...path, k], out);
  }
  return out;
}

test("import: mutated values anywhere (also inside command outputs) never make it throw (property)", () => {
  const base = docs()[0];
  // Command outputs as parsed JSON, so mutations reach their fields too.
  const opened = structuredClone(base) as unknown as {
    namespaces: { commands: Record<string, { out: unknown }> }[];
  };
  for (const ns of opened.namespaces) {
    for (const c of Object.values(ns.commands)) {
      try {
        c.out = JSON.parse(c.out as string);
      } catch {
        // text outputs (iptables-save) stay text
      }
    }
  }
  const all = places(opened).filter((p) => p.length > 0);
  const close = (d: typeof opened) => {
    const x = structuredClone(d) as unknown as { namespaces?: unknown };
    for (const ns of Array.isArray(x.namespaces) ? x.namespaces : []) {
      const cmds = (ns as { commands?: unknown })?.commands;
      if (typeof cmds !== "object" || cmds === null) continue;
      for (const c of Object.values(cmds)) {
        if (typeof c === "object" && c !== null && typeof c.out !== "string") {
          c.out = JSON.stringify(c.out) ?? "";
        }
      }
    }
    return JSON.stringify(x);
  };
  holds(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...all), fc.jsonValue({ maxDepth: 2 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (edits) => {
        const d = structuredClone(opened) as unknown as Record<string | number, unknown>;
        for (const [path, value] of edits) {
          let o = d as Record<string | number, unknown>;
          for (const k of path.slice(0, -1)) {
            const next = o?.[k];
            if (typeof next !== "object" || next === null) {
              o = undefined as unknown as Record<string, unknown>;
              break;
            }
            o = next as Record<string | number, unknown>;
          }
          if (o) o[path[path.length - 1]] = value;
        }
        const r = importCluster([
          { file: "m.json", text: close(d as unknown as typeof opened) },
          FIXTURES[1],
        ]);
        return wellFormed(r);
      },
    ),
    300,
  );
});

test("import: random JSON is refused with a named problem (property)", () => {
  holds(
    fc.property(fc.jsonValue(), (v) => {
      const r = importCluster([{ file: "r.json", text: JSON.stringify(v) ?? "null" }]);
      return !r.ok && wellFormed(r);
    }),
    200,
  );
  holds(
    fc.property(fc.jsonValue(), (v) => {
      const r = importCluster(FIXTURES, { file: "pods.json", text: JSON.stringify(v) ?? "null" });
      return wellFormed(r);
    }),
    200,
  );
});

async function cli(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "src/cli/import.ts", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

test("deno task import: a scenario on stdout, the report on stderr; bad input exits 2 naming file and path", async () => {
  const ok = await cli(
    "tests/fixtures/import/vxlan-node-1.json",
    "tests/fixtures/import/vxlan-node-2.json",
  );
  assert.is(ok.code, 0, ok.stderr);
  assert.is(JSON.parse(ok.stdout).version, 1);
  assert.match(ok.stderr, /podnet import: 2 node\(s\)/);
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/cut.json`, FIXTURES[0].text.slice(0, 500));
    const bad = await cli(`${dir}/cut.json`);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /cut\.json: \(document\): Not valid JSON/);
    assert.is(bad.stdout, "");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

test.run();
