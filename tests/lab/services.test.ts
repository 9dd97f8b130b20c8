/**
 * Services on real Linux: kube-proxy's rules as the builder writes them,
 * loaded into node namespaces, probed through the kube-dns ClusterIP; the
 * endpoint Linux's statistic rules pick, counted over many probes, against
 * the rules' probabilities; and errors about the DNATed flow (TTL exceeded
 * on the way, port unreachable from the endpoint) arriving from the
 * Service address, as conntrack rewrites them.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type LabProbe, labProbes } from "../../src/lab/probes.js";
import { runLab } from "../../src/lab/runner.js";
import { stopContainer } from "../../src/pods/lifecycle.js";
import { podIp, podNamed } from "../../src/world/query.js";
import { example, must } from "../support/world.ts";
import { assertAgrees, skipReason } from "./support.ts";

const world = example("services");
const ip = (pod: string) => String(podIp(world, podNamed(world, pod)!));

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
      assert.is("from" in s ? String(s.from) : "", "10.96.0.10", r.probe.label);
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

  test("lab services: the endpoints Linux picks follow the statistic probabilities (1/2 each, within 0.2 over 60 probes)", async () => {
    const n = 60;
    const probes: LabProbe[] = Array.from({ length: n }, (_, i) => ({
      label: `a → 10.96.0.10:53 udp #${i}`,
      key: 41000 + i,
      probe: { from: "a", to: "10.96.0.10", proto: "udp", port: 53, sport: 41000 + i },
    }));
    const report = await runLab(world, { probes });
    assertAgrees(report, "distribution: ");
    const counts = new Map<string, number>();
    for (const r of report.rows) {
      if (r.endpoint) counts.set(r.endpoint, (counts.get(r.endpoint) ?? 0) + 1);
    }
    for (const pod of ["c", "d"]) {
      const share = (counts.get(ip(pod)) ?? 0) / n;
      // Binomial(60, 1/2): the standard deviation of the share is 0.065; 0.2 is three of them.
      assert.ok(Math.abs(share - 0.5) <= 0.2, `${pod}: ${share} of ${n} (${[...counts]})`);
    }
  });
}

test.run();
