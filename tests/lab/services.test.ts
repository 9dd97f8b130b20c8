/**
 * Services on real Linux: kube-proxy's rules as the builder writes them,
 * loaded into node namespaces, probed through the UDP ClusterIPs and, from
 * an external client, the NodePorts; the endpoint Linux's statistic rules
 * pick, counted over many probes, against the rules' probabilities, and
 * conntrack's entries against the model's DNAT; and errors about the DNATed flow (TTL exceeded
 * on the way, port unreachable from the endpoint) arriving from the
 * Service address, as conntrack rewrites them.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { labProbes } from "../../src/lab/probes.js";
import { runLab } from "../../src/lab/runner.js";
import { DISTRIBUTION_PROBES, distributionProbes } from "../../src/lab/services.js";
import { stopContainer } from "../../src/pods/lifecycle.js";
import { exportScript } from "../../src/lab/export.js";
import { run } from "../../src/lab/linux.js";
import { python } from "../../src/lab/agent.js";
import { trace } from "../../src/trace/tracer.js";
import { example, must } from "../support/world.ts";
import { assertAgrees, skipReason } from "./support.ts";

const world = example("services");

if (!(await skipReason())) {
  test("lab services: ClusterIP probes, TTL errors from the Service address, all agreeing", async () => {
    const probes = labProbes(world).filter((p) => p.label.includes("(Service)"));
    assert.ok(probes.length >= 6, `${probes.length} Service probes`);
    const report = await runLab(world, { probes });
    assertAgrees(report, "services: ");
    const errors = report.rows.filter((r) => r.linux.sender?.kind === "icmp");
    assert.ok(errors.length >= 2, "TTL 1 and 2 answered with errors");
    for (const r of errors) {
      const s = r.linux.sender!;
      assert.is("from" in s ? String(s.from) : "", r.probe.probe.to, r.probe.label);
    }
  });

  test("lab services: port unreachable from a stopped endpoint comes from the Service address", async () => {
    const stopped = must(stopContainer(must(stopContainer(world, "c/coredns")).world, "d/coredns"))
      .world;
    const probes = labProbes(stopped).filter((p) => p.label === "a → 10.96.0.10:53 udp (Service)");
    const report = await runLab(stopped, { probes });
    assertAgrees(report, "stopped coredns: ");
    const s = report.rows[0].linux.sender!;
    assert.is(s.kind, "icmp");
    assert.is("from" in s ? String(s.from) : "", "10.96.0.10");
  });

  test("lab services: over 60 probes per UDP Service Linux's endpoint shares stay within 4 sigma of the rules' probabilities, and conntrack on each DNATing node holds the model's entry", async () => {
    const probes = [
      ...labProbes(world).filter((p) => p.label.includes("(Service)") && !p.label.includes("ttl")),
      ...distributionProbes(world),
    ];
    const report = await runLab(world, { probes });
    assertAgrees(report, "distribution: ");
    const s = report.services;
    assert.ok(s, "the Service checks ran");
    assert.equal(s!.differences, []);
    assert.equal(s!.distributions.map((d) => d.service).sort(), [
      "10.96.0.10:53/udp",
      "10.96.0.30:7/udp",
    ]);
    for (const d of s!.distributions) {
      assert.is(d.probes, DISTRIBUTION_PROBES);
      assert.is(d.endpoints.reduce((n, e) => n + e.picked, 0), d.probes, d.service);
    }
    assert.ok(s!.conntrackCompared >= DISTRIBUTION_PROBES * 2, String(s!.conntrackCompared));
  });

  test("lab services: the external client reaches echo's NodePort (externalTrafficPolicy Local) on node-2, with its own address seen by the pod; node-1, without an endpoint, drops it", async () => {
    const probes = labProbes(world).filter((p) => p.label.includes("(NodePort)"));
    assert.equal(probes.map((p) => p.probe.to).sort(), ["192.168.0.11", "192.168.0.12"]);
    const report = await runLab(world, { probes });
    assertAgrees(report, "nodeport: ");
    for (const r of report.rows) {
      const s = r.linux.sender;
      if (r.probe.probe.to === "192.168.0.11") {
        assert.is(s?.kind, "nothing", r.probe.label);
        assert.equal(r.linux.receptions, [], r.probe.label);
      } else {
        assert.ok(s?.kind === "reply", r.probe.label);
        assert.is("from" in s! ? String(s!.from) : "", "192.168.0.12", r.probe.label);
        assert.is(r.linux.receptions[0]?.src, "192.168.0.254", "the pod sees the client");
      }
    }
    assert.equal(report.services?.differences ?? [], []);
  });

  test("lab services: conntrack -L on the node holds the entry the model's DNAT makes", async () => {
    const prefix = `ps${Deno.pid.toString(36)}-`;
    const script = exportScript(world, { prefix });
    assert.ok(script.ok);
    if (!script.ok) return;
    const servers: Deno.ChildProcess[] = [];
    try {
      const up = await run(["sh", "-s", "up"], script.value);
      assert.is(up.code, 0, up.stderr);
      // A one-shot UDP answer on port 53 in each CoreDNS endpoint.
      const answer = "import socket\ns=socket.socket(2,2)\ns.bind(('0.0.0.0',53))\n" +
        "d,a=s.recvfrom(100)\ns.sendto(d,a)";
      for (const pod of ["c", "d"]) {
        servers.push(
          new Deno.Command("ip", {
            args: ["netns", "exec", `${prefix}pod-${pod}`, python(), "-c", answer],
            stdout: "null",
            stderr: "null",
          }).spawn(),
        );
      }
      await new Promise((r) => setTimeout(r, 300));
      const send = "import socket\nc=socket.socket(2,2)\nc.bind(('0.0.0.0',45053))\n" +
        "c.settimeout(2)\nc.sendto(b'q',('10.96.0.10',53))\nd,a=c.recvfrom(100)\nprint(a[0])";
      const sent = await run(["ip", "netns", "exec", `${prefix}pod-a`, python(), "-c", send]);
      assert.is(sent.stdout.trim(), "10.96.0.10", sent.stderr);
      const ct = await run([
        "ip",
        "netns",
        "exec",
        `${prefix}node-1`,
        "conntrack",
        "-L",
        "-p",
        "udp",
        "--sport",
        "45053",
      ]);
      const line = ct.stdout.split("\n").find((l) => l.includes("sport=45053"));
      assert.ok(line, ct.stdout + ct.stderr);
      const fields = [...line!.matchAll(/(src|dst|sport|dport)=(\S+)/g)].map((m) => m[2]);
      const [osrc, odst, osport, odport, rsrc, rdst, rsport, rdport] = fields;
      // The model, on the branch Linux took (the reply's source is the endpoint).
      const t = must(trace(world, {
        from: "a",
        to: "10.96.0.10",
        proto: "udp",
        port: 53,
        sport: 45053,
        branch: rsrc,
      }));
      const dnat = t.hops.flatMap((h) => h.steps).find((x) => x.kind === "nat");
      assert.ok(dnat?.kind === "nat" && dnat.hook === "PREROUTING");
      if (dnat?.kind !== "nat") return;
      assert.equal(
        [osrc, odst, osport, odport],
        [dnat.before.src, dnat.before.dst, dnat.before.sport, dnat.before.dport].map(String),
      );
      assert.equal(
        [rsrc, rdst, rsport, rdport],
        [dnat.after.dst, dnat.after.src, dnat.after.dport, dnat.after.sport].map(String),
      );
    } finally {
      for (const s of servers) {
        try {
          s.kill();
        } catch { /* already gone */ }
        await s.status;
      }
      const down = await run(["sh", "-s", "down"], script.value);
      assert.is(down.code, 0, down.stderr);
    }
  });
}

test.run();
