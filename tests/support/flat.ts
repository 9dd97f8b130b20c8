/**
 * Flat layer 2: each node's NIC enslaved to a bridge `br0` that holds the
 * node's address, pods on the underlay's own subnet behind it — the
 * underlay segment must act as a learning switch that floods unknown
 * unicast, or no frame for a pod on another node arrives.
 *
 * @module
 */
import { loadScenario } from "../../src/scenario/load.js";
import type { ScenarioDoc } from "../../src/scenario/schema.js";
import type { World } from "../../src/model/world.js";
import { must } from "./world.ts";

/**
 * A flat layer-2 world: `pods[i]` pods on node `i + 1`, addresses
 * 192.168.0.1i (nodes) and 192.168.0.(96 + 8i + j) (pods).
 *
 * With `overlay`, the layer 2 is stretched over VXLAN instead: each node's
 * `vx0` (VNI 7, port 4789, learning on, a default FDB entry towards every
 * other node) is the bridge port, its `eth0` on 10.99.0.0/24 with MTU
 * `overlay.underMtu` under the tunnel's 1450 (lowered after it was made).
 *
 * @param pods Pods per node (1–7 each, up to 9 nodes).
 * @param overlay The VXLAN variant and its underlay MTU.
 */
export function flatWorld(
  pods: readonly number[],
  overlay?: { readonly underMtu: number },
): World {
  const nodes = pods.map((_, i) => i + 1);
  const podNs = (i: number, j: number) => `pod-${i}-${j}`;
  const doc = {
    version: 1,
    name: "flat-l2",
    mode: "custom",
    segments: [{ name: "underlay", mtu: 1500 }],
    nodes: nodes.map((i) => ({
      name: `node-${i}`,
      podCidr: `192.168.0.${96 + 8 * i}/29`,
      bridge: "br0",
    })),
    namespaces: [
      ...nodes.map((i) => ({
        name: `node-${i}`,
        role: "node",
        devices: [
          { name: "lo", kind: "loopback" },
          ...(overlay
            ? [
              {
                name: "eth0",
                kind: "nic",
                segment: "underlay",
                mtu: overlay.underMtu,
                addresses: [`10.99.0.${i}/24`],
              },
              {
                name: "vx0",
                kind: "vxlan",
                vni: 7,
                dstport: 4789,
                dev: "eth0",
                learning: true,
                mtu: 1450,
                master: "br0",
              },
            ]
            : [{ name: "eth0", kind: "nic", segment: "underlay", master: "br0" }]),
          { name: "br0", kind: "bridge", addresses: [`192.168.0.${10 + i}/24`] },
          ...Array.from({ length: pods[i - 1] }, (_, j) => ({
            name: `veth${j}`,
            kind: "veth",
            master: "br0",
            peer: `${podNs(i, j)}/eth0`,
            ...(overlay ? { mtu: 1450 } : {}),
          })),
        ],
        ...(overlay
          ? {
            fdb: nodes.filter((k) => k !== i).map((k) =>
              `00:00:00:00:00:00 dev vx0 dst 10.99.0.${k} self permanent`
            ),
          }
          : {}),
      })),
      ...nodes.flatMap((i) =>
        Array.from({ length: pods[i - 1] }, (_, j) => ({
          name: podNs(i, j),
          role: "pod",
          devices: [
            { name: "lo", kind: "loopback" },
            {
              name: "eth0",
              kind: "veth",
              addresses: [`192.168.0.${96 + 8 * i + j}/24`],
              peer: `node-${i}/veth${j}`,
              ...(overlay ? { mtu: 1450 } : {}),
            },
          ],
        }))
      ),
    ],
    pods: nodes.flatMap((i) =>
      Array.from({ length: pods[i - 1] }, (_, j) => ({
        name: `p${i}${j}`,
        node: `node-${i}`,
        namespace: podNs(i, j),
        containers: [{ name: "pause", pause: true }, { name: "app", ports: ["8080/udp"] }],
      }))
    ),
  };
  return must(loadScenario(doc as unknown as ScenarioDoc));
}
