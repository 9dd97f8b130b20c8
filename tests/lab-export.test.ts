/**
 * The lab's pure parts, without root: the exported script keeps to the
 * safety rules and pins what the model assumes; ping's output, the agent's
 * reports and captured frames read back into outcomes; a trace turns into
 * the outcome it predicts.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Addr, Mac } from "../src/addr/mod.js";
import { exportLab, exportScript, type LabPlan, PINNED_SYSCTLS } from "../src/lab/export.js";
import { argvOf } from "../src/lab/shell.js";
import {
  differences,
  expectedOutcome,
  type Outcome,
  parsePing,
  readFrame,
  udpSenderView,
} from "../src/lab/observe.js";
import { labProbes } from "../src/lab/probes.js";
import { errorBudget } from "../src/lab/runner.js";
import { buildWorld } from "../src/scenario/build.js";
import { deleteRoute } from "../src/world/edit.js";
import { encodeFrame, fillPayload, frameOf, vxlanEncapsulate } from "../src/wire/mod.js";
import { example, must, traced } from "./support/world.ts";

const EXAMPLES = ["single-host", "same-range", "gateway", "host-gw", "vxlan", "nat"];

/** A plan's commands as argv joined by spaces (comments as `# text`). */
const upText = (plan: LabPlan): string[] =>
  plan.commands.up.map((l) => (l.kind === "comment" ? `# ${l.text}` : argvOf(l).join(" ")));
const downText = (plan: LabPlan): string[] => plan.commands.down.map((c) => argvOf(c).join(" "));

test("export: every command names a lab namespace; nothing touches the root namespace", () => {
  for (const name of EXAMPLES) {
    const plan = must(exportLab(example(name), { prefix: "t-" }));
    for (const line of [...upText(plan), ...downText(plan)]) {
      if (line.startsWith("#")) continue;
      assert.match(
        line,
        /^(ip netns (add|del|pids|exec) t-|ip -n t-|bridge -n t-)/,
        `${name}: ${line}`,
      );
    }
  }
});

test("export: device names fit Linux's 15 characters and every veth pair is made once", () => {
  for (const name of EXAMPLES) {
    const world = example(name);
    const plan = must(exportLab(world, { prefix: "t-" }));
    const adds = upText(plan).filter((l) => / link add /.test(l));
    for (const l of adds) {
      for (const m of l.matchAll(/(?:link add|peer name) (\S+)/g)) assert.ok(m[1].length <= 15, l);
    }
    const veths = world.namespaces.flatMap((ns) => ns.devices.filter((d) => d.kind === "veth"));
    const pairs = adds.filter((l) => / type veth peer /.test(l) && !/ peer name port\d/.test(l));
    assert.is(pairs.length, veths.length / 2, name);
  }
});

test("export: each device gets the model's MAC and MTU", () => {
  const world = example("vxlan");
  const plan = must(exportLab(world, { prefix: "t-" }));
  const text = upText(plan).join("\n");
  for (const ns of world.namespaces) {
    for (const d of ns.devices) {
      if (d.kind === "loopback") continue;
      const own = new RegExp(
        `link add ${d.name.replace(".", "\\.")} address ${d.mac} mtu ${d.mtu}`,
      );
      const peer = new RegExp(
        `peer name ${d.name} address ${d.mac} mtu ${d.mtu} netns t-${ns.name}`,
      );
      assert.ok(own.test(text) || peer.test(text), `${ns.name}/${d.name}`);
    }
  }
  assert.match(text, "type vxlan id 1 local 192.168.0.11 dev eth0 dstport 8472 nolearning");
});

test("export: every namespace pins its sysctls before it has devices (pods do not forward)", () => {
  const world = example("host-gw");
  const plan = must(exportLab(world, { prefix: "t-" }));
  const up = upText(plan);
  const pinned = up.find((l) => l.startsWith(`ip netns exec t-pod-a sysctl -qew`))!;
  for (
    const key of [
      "net.ipv4.conf.all.rp_filter=0",
      "net.ipv4.conf.default.rp_filter=0",
      "net.ipv4.conf.all.accept_local=0",
      "net.ipv4.conf.all.arp_ignore=0",
      "net.ipv4.conf.all.arp_announce=0",
      "net.bridge.bridge-nf-call-iptables=0",
    ]
  ) assert.ok(pinned.includes(key), key);
  for (const ns of world.namespaces) {
    const i = up.findIndex((l) => l.startsWith(`ip netns exec t-${ns.name} sysctl -qew`));
    assert.ok(i >= 0, ns.name);
    for (const p of PINNED_SYSCTLS) assert.ok(up[i].includes(` ${p.key}=${p.value}`), p.key);
    assert.ok(up[i].includes(`net.ipv4.ip_forward=${ns.role === "pod" ? 0 : 1}`), ns.name);
    const firstDevice = up.findIndex((l) => l.includes(`-n t-${ns.name} link add`));
    assert.ok(firstDevice < 0 || firstDevice > i, ns.name);
  }
});

test("export: the underlay is a bridge in a namespace of its own, a port per node NIC", () => {
  const plan = must(exportLab(example("gateway"), { prefix: "t-" }));
  assert.is(plan.segments.length, 1);
  const s = plan.segments[0];
  assert.is(s.namespace, "t-seg-underlay");
  assert.equal(s.ports.map((p) => `${p.port}:${p.nic.namespace}`), [
    "port1:node-1",
    "port2:node-2",
    "port3:gateway",
  ]);
});

test("export: down removes every namespace up adds, and a bad prefix is an error value", () => {
  const plan = must(exportLab(example("nat"), { prefix: "t-" }));
  const added = upText(plan).filter((l) => l.startsWith("ip netns add ")).map((l) =>
    l.split(" ")[3]
  );
  for (const ns of added) {
    assert.ok(plan.down.some((l) => l === `ip netns del '${ns}' 2>/dev/null || true`));
  }
  const bad = exportLab(example("nat"), { prefix: "no spaces" });
  assert.is(bad.ok, false);
  const script = exportScript(example("nat"));
  assert.ok(script.ok && script.value.startsWith("#!/bin/sh"));
  assert.ok(script.ok && script.value.includes("podnet-node-1"));
});

test("observe: ping's words become the sender's view", () => {
  const cases: [string, ReturnType<typeof parsePing>][] = [
    ["64 bytes from 10.244.2.3: icmp_seq=1 ttl=62 time=0.8 ms", {
      kind: "reply",
      from: "10.244.2.3",
    }],
    ["From 10.244.1.1 icmp_seq=1 Destination Net Unreachable", {
      kind: "icmp",
      what: "net",
      from: "10.244.1.1",
    }],
    ["From 10.244.1.2 icmp_seq=1 Destination Host Unreachable", {
      kind: "icmp",
      what: "host",
      from: "10.244.1.2",
    }],
    ["From 10.244.1.1 icmp_seq=1 Time to live exceeded", {
      kind: "icmp",
      what: "ttl",
      from: "10.244.1.1",
    }],
    ["From 10.244.2.0 icmp_seq=1 Frag needed and DF set (mtu = 1400)", {
      kind: "icmp",
      what: "frag",
      from: "10.244.2.0",
      mtu: 1400,
    }],
    ["From 10.0.0.1 icmp_seq=1 Packet filtered", { kind: "icmp", what: "admin", from: "10.0.0.1" }],
    ["ping: local error: message too long, mtu=1450", {
      kind: "local-error",
      errno: "EMSGSIZE",
      mtu: 1450,
    }],
    ["ping: connect: Network is unreachable", { kind: "local-error", errno: "ENETUNREACH" }],
    ["ping: sendmsg: No route to host", { kind: "local-error", errno: "EHOSTUNREACH" }],
    ["1 packets transmitted, 0 received, 100% packet loss", { kind: "nothing" }],
  ];
  for (const [text, view] of cases) assert.equal(parsePing(text), view, text);
});

test("observe: the UDP sender's ICMP type and code read like ping's words", () => {
  assert.equal(udpSenderView({ kind: "icmp", type: 3, code: 3, from: "10.0.0.2", mtu: 0 }), {
    kind: "icmp",
    what: "port",
    from: "10.0.0.2",
  });
  assert.equal(udpSenderView({ kind: "icmp", type: 3, code: 4, from: "10.0.0.1", mtu: 1400 }), {
    kind: "icmp",
    what: "frag",
    from: "10.0.0.1",
    mtu: 1400,
  });
  assert.equal(udpSenderView({ kind: "icmp", type: 11, code: 0, from: "10.0.0.1", mtu: 0 }), {
    kind: "icmp",
    what: "ttl",
    from: "10.0.0.1",
  });
  assert.equal(udpSenderView({ kind: "local-error", errno: "EMSGSIZE", mtu: 1450 }), {
    kind: "local-error",
    errno: "EMSGSIZE",
    mtu: 1450,
  });
});

test("observe: a captured VXLAN frame reads to its outer header, VNI, inner header and key", () => {
  const inner = encodeFrame(frameOf({
    srcMac: Mac.mustParse("02:00:00:00:00:01"),
    dstMac: Mac.mustParse("02:00:00:00:00:02"),
    src: Addr.mustParse("10.244.1.2"),
    dst: Addr.mustParse("10.244.2.3"),
    ttl: 63,
    transport: { kind: "icmp", header: { kind: "echo-request", id: 4242, seq: 1 } },
    payload: fillPayload(56),
  }));
  const outer = vxlanEncapsulate(inner, {
    vni: 1,
    outerSrcMac: Mac.mustParse("02:00:00:00:00:0b"),
    outerDstMac: Mac.mustParse("02:00:00:00:00:0c"),
    outerSrc: Addr.mustParse("192.168.0.11"),
    outerDst: Addr.mustParse("192.168.0.12"),
  });
  const hex = [...outer].map((b) => b.toString(16).padStart(2, "0")).join("");
  const f = readFrame(hex, "port1", new Set([8472]));
  assert.equal(f, {
    crossing: {
      port: "port1",
      src: "192.168.0.11",
      dst: "192.168.0.12",
      ttl: 64,
      vxlan: { dport: 8472, vni: 1, inner: { src: "10.244.1.2", dst: "10.244.2.3", ttl: 63 } },
    },
    key: { proto: "icmp", value: 4242 },
  });
  assert.is(readFrame("0000", "port1", new Set()), undefined);
});

test("observe: a VXLAN trace predicts the crossing Linux should show on the underlay", () => {
  const world = example("vxlan");
  const plan = must(exportLab(world));
  const out = expectedOutcome(traced(world, { from: "a", to: "d" }), plan);
  assert.equal(out.receptions, [{
    namespace: "pod-d",
    src: "10.244.1.2",
    dst: "10.244.2.3",
    ttl: 62,
  }]);
  assert.equal(out.crossings, [{
    segment: "underlay",
    port: "port1",
    src: "192.168.0.11",
    dst: "192.168.0.12",
    ttl: 64,
    vxlan: { dport: 8472, vni: 1, inner: { src: "10.244.1.2", dst: "10.244.2.3", ttl: 63 } },
  }]);
  assert.is(out.sender, undefined);
});

test("observe: the wrong pod answering is a reception in its namespace and a reply", () => {
  const world = example("same-range");
  const out = expectedOutcome(traced(world, { from: "b", to: "c" }), must(exportLab(world)));
  assert.equal(out.receptions.map((r) => r.namespace), ["pod-a"]);
  assert.equal(out.sender, { kind: "reply", from: "10.244.0.2" });
});

test("observe: differences name what differs, and nothing when outcomes agree", () => {
  const k: Outcome = { receptions: [], sender: { kind: "nothing" }, crossings: [] };
  assert.equal(differences(k, k), []);
  const l: Outcome = { ...k, sender: { kind: "icmp", what: "net", from: "10.0.0.1" } };
  assert.equal(differences(k, l), ["sender: kernel timeout, linux icmp net from 10.0.0.1"]);
  const r: Outcome = {
    ...k,
    receptions: [{ namespace: "pod-b", src: "10.0.0.2", dst: "10.0.0.3", ttl: 64 }],
  };
  assert.equal(differences(k, r).length, 1);
  assert.equal(
    differences({ ...k, sender: undefined }, l),
    [],
    "an unpredicted sender is not compared",
  );
});

test("probes: every pair twice (ICMP, UDP), extras on working paths, unique keys", () => {
  const world = example("host-gw");
  const probes = labProbes(world);
  assert.is(probes.filter((p) => !/B|ttl|9999|203\.0|\.254/.test(p.label)).length, 24);
  assert.is(new Set(probes.map((p) => `${p.probe.proto}:${p.key}`)).size, probes.length);
  for (const p of probes) if (p.probe.proto === "udp") assert.is(p.probe.sport, p.key);
  assert.ok(probes.some((p) => p.label === "a → d icmp 1500B DF"));
  const broken = must(deleteRoute(world, "node-1", "10.244.2.0/24"));
  assert.not.ok(labProbes(broken).some((p) => p.label.startsWith("a → d icmp 1500B")));
});

test("runner: probes that end in a route error spend the router's ICMP budget for their source", () => {
  const broken = must(deleteRoute(example("host-gw"), "node-1", "10.244.2.0/24"));
  assert.is(errorBudget(traced(broken, { from: "a", to: "c" })), "node-1|10.244.1.2");
  assert.is(errorBudget(traced(broken, { from: "c", to: "a" })), undefined);
  const w = must(buildWorld({ mode: "vxlan" }));
  assert.is(errorBudget(traced(w, { from: "a", to: "c", ttl: 1 })), undefined);
});

test.run();
