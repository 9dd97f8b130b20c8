/**
 * Worlds in which the lab found the kernel disagreeing with Linux; the unit
 * tests (tests/tracer-linux.test.ts) state Linux's behaviour on them and the
 * lab tests (tests/lab/) check it in network namespaces.
 *
 * @module
 */
import { addIptables, deleteRoute, setMtu } from "../../src/world/edit.js";
import type { World } from "../../src/model/world.js";
import { example, must } from "./world.ts";

/** host-gw, but node-2 has lost its route to node-1's pods: answers from node-2's side cannot return. */
export function hostGwNoWayBack(): World {
  return must(deleteRoute(example("host-gw"), "node-2", "10.244.1.0/24"));
}

/** gateway, but node-1 drops what it would forward from the underlay to its pods. */
export function gatewayOneWay(): World {
  return must(addIptables(example("gateway"), "node-1", "-A FORWARD -i eth0 -o cni0 -j DROP"));
}

/** vxlan, but node-1's underlay NIC has MTU 1300: less than the pods' 1450 plus 50 bytes of VXLAN. */
export function vxlanThinUnderlay(): World {
  return must(setMtu(example("vxlan"), { namespace: "node-1", device: "eth0" }, 1300));
}
