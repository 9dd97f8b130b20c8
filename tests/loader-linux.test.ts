/**
 * What Linux refuses to build, the loader refuses too, naming what and
 * where: a second VXLAN device with the same VNI and UDP port in one
 * namespace (`ip link add` fails with "A VXLAN device with the specified
 * VNI already exists"), and `DNAT --to-destination ADDR:PORT` without a
 * protocol that has ports (iptables: "Need TCP, UDP, SCTP or DCCP with
 * port specification"). Generated over clusters, at a random node.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { buildScenario } from "../src/scenario/build.js";
import { loadScenario } from "../src/scenario/load.js";
import { parseIptables } from "../src/syntax/iptables.js";
import type { ScenarioDoc } from "../src/scenario/schema.js";
import { clusterSpecs } from "./support/clusters.ts";
import { holds } from "./support/property.ts";
import { must } from "./support/world.ts";

/** The document with a copy of a node's VXLAN device named `vx9` on `port`. */
function secondTunnel(doc: ScenarioDoc, node: number, port?: number) {
  const nsIndex = doc.namespaces.findIndex((n) => n.name === doc.nodes[node].name);
  const ns = doc.namespaces[nsIndex];
  const tunnel = ns.devices.find((d) => d.kind === "vxlan")!;
  const copy = {
    ...tunnel,
    name: "vx9",
    addresses: [],
    mac: undefined,
    ...(port ? { dstport: port } : {}),
  };
  const out = {
    ...doc,
    namespaces: doc.namespaces.map((n, i) =>
      i === nsIndex ? { ...n, devices: [...n.devices, copy] } : n
    ),
  };
  return { out, nsIndex, device: ns.devices.length, tunnel };
}

test("loader: a second VXLAN device with the same VNI and port in a namespace is refused, naming both", () => {
  holds(
    fc.property(
      clusterSpecs(["vxlan"], 3, 1),
      fc.nat(),
      fc.integer({ min: 1024, max: 65535 }),
      (spec, pick, port) => {
        const doc = must(buildScenario(spec));
        const node = pick % doc.nodes.length;
        const { out, nsIndex, device, tunnel } = secondTunnel(doc, node);
        const r = loadScenario(out as ScenarioDoc);
        assert.ok(!r.ok, "loaded");
        if (r.ok) return;
        const e = r.error.find((x) => x.message.includes("already has VNI"));
        assert.ok(e, r.error.map((x) => x.message).join("; "));
        assert.is(e!.path, `/namespaces/${nsIndex}/devices/${device}/vni`);
        assert.match(e!.message, String(tunnel.name));
        // On another UDP port the same VNI is a different tunnel: Linux builds it.
        if (port !== (tunnel.dstport ?? 8472)) {
          assert.ok(loadScenario(secondTunnel(doc, node, port).out as ScenarioDoc).ok);
        }
      },
    ),
    30,
  );
});

test("iptables: DNAT to ADDR:PORT without -p tcp or -p udp is refused at the address; with one it parses", () => {
  holds(
    fc.property(
      fc.ipV4(),
      fc.integer({ min: 1, max: 65535 }),
      fc.constantFrom("PREROUTING", "OUTPUT"),
      fc.constantFrom("", "-p icmp ", "-s 10.0.0.0/8 "),
      fc.constantFrom("tcp", "udp"),
      (addr, port, chain, before, proto) => {
        const line = `-t nat -A ${chain} ${before}-j DNAT --to-destination ${addr}:${port}`;
        const r = parseIptables(line);
        assert.ok(!r.ok, line);
        if (r.ok) return;
        assert.is(r.error.token, `${addr}:${port}`);
        assert.is(r.error.at, line.indexOf(`${addr}:${port}`));
        assert.match(r.error.message, "-p tcp or -p udp");
        const fixed = `-t nat -A ${chain} -p ${proto} -j DNAT --to-destination ${addr}:${port}`;
        assert.ok(parseIptables(fixed).ok, fixed);
        assert.ok(parseIptables(`-t nat -A ${chain} ${before}-j DNAT --to-destination ${addr}`).ok);
      },
    ),
    200,
  );
});

test.run();
