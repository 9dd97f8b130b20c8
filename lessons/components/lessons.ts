/**
 * What the lessons share between their English and Korean pages: the
 * breakages each lesson offers and its exercises (task, hint, check). The
 * pages differ only in prose; the browser tests read the same tables to know
 * what each control does.
 *
 * @module
 */
import * as kernel from "../kernel/mod.js";
import { ko } from "../kernel/mod.js";
import * as b from "./breakages.js";
import {
  allOf,
  delivers,
  type Exercise,
  invariantsHold,
  podIpIs,
  serviceAnswers,
} from "./checks.js";

/** 0. Overview: the journey of one packet. */
export const OVERVIEW = {
  fix: {
    task: {
      en: "The break-it cell deleted node-1's route to node-2's pods. Put it back in node-1's " +
        "table below, so that pod a's packet reaches pod c again with its own source address.",
      ko: "위의 망가뜨리기 셀이 node-1에서 node-2 파드 대역으로 가는 경로를 지웠습니다. 아래 " +
        "node-1의 표에 그 경로를 되살려, 파드 a의 패킷이 자기 출발지 주소 그대로 파드 c에 " +
        "다시 닿게 하세요.",
    },
    hint: {
      en: "node-2's table has the mirror image: a route to node-1's range via node-1's VXLAN " +
        "address on flannel.1, with onlink. Write the same for 10.244.2.0/24 via 10.244.2.0.",
      ko: "node-2의 표에 거울상이 있습니다. node-1 대역으로 가는 경로가 flannel.1 위의 node-1 " +
        "VXLAN 주소를 via로, onlink를 붙여 적혀 있습니다. 10.244.2.0/24를 10.244.2.0 via로 " +
        "똑같이 적어 보세요.",
    },
    check: delivers({ from: "a", to: "c" }),
  } satisfies Exercise,
};

/** 1. The pod's network stack. */
export const POD_STACK = {
  breakages: [
    b.nothing,
    b.stopContainer("a/app"),
    b.linkDown("pod-a", "eth0"),
    b.linkDown("node-1", "cni0"),
  ],
  fix: {
    task: {
      en: "In pod a the app container has exited, so the sidecar's call to localhost:8080 is " +
        "refused. Bring the app back with the buttons below — without the pod losing its IP.",
      ko: "파드 a의 app 컨테이너가 종료되어 sidecar의 localhost:8080 호출이 거절됩니다. 아래 " +
        "버튼으로 app을 되살리세요. 단, 파드의 IP가 바뀌면 안 됩니다.",
    },
    hint: {
      en: "Start the container that exited. Killing the pause container would also restart " +
        "app — in a new namespace with a new IP.",
      ko: "종료된 컨테이너를 시작하세요. pause 컨테이너를 죽여도 app이 다시 뜨지만, 새 " +
        "네임스페이스와 새 IP에서 뜹니다.",
    },
    check: allOf(
      delivers({ from: "a/sidecar", to: "127.0.0.1", proto: "tcp", port: 8080 }, {
        container: "app",
      }),
      podIpIs("a", "10.244.1.2"),
    ),
  } satisfies Exercise,
};

/** 2. The pause container. */
export const PAUSE = {
  fix: {
    task: {
      en: "Pod x was created without a pause container, so restarting its app container " +
        "throws its namespace and IP away. Delete x and create it again so that restarts " +
        "keep its IP.",
      ko: "파드 x는 pause 컨테이너 없이 만들어져서, app 컨테이너를 재시작하면 네임스페이스와 " +
        "IP가 버려집니다. x를 지우고 다시 만들어, 재시작해도 IP가 유지되게 하세요.",
    },
    hint: {
      en: 'Press "delete pod" for x, then "create again" (with pause).',
      ko: 'x의 "파드 삭제"를 누른 다음 "다시 만들기"(pause 포함)를 누르세요.',
    },
    check: invariantsHold(["stable-ip-across-restarts"]),
  } satisfies Exercise,
};

/** 3. Pods on different hosts. */
export const HOSTS = {
  breakages: [
    b.nothing,
    b.deleteRoute("gateway", "10.244.2.0/24"),
    b.replaceRoute("gateway", "10.244.2.0/24", "10.244.2.0/24 via 192.168.0.11 dev eth0"),
    b.ipForwardOff("gateway"),
    b.forwardDrop("gateway"),
    b.ipForwardOff("node-2"),
    b.linkDown("node-2", "eth0"),
  ],
  fix: {
    task: {
      en: "The gateway has lost its route to node-2's pod range. Repair the gateway's table " +
        "so that every pod reaches every other pod, NAT-free.",
      ko: "게이트웨이가 node-2 파드 대역으로 가는 경로를 잃었습니다. 게이트웨이의 표를 고쳐 " +
        "모든 파드가 NAT 없이 서로 닿게 하세요.",
    },
    hint: {
      en: "Each pod range lives behind its node's underlay address: node-1 is 192.168.0.11, " +
        "node-2 is 192.168.0.12.",
      ko: "각 파드 대역은 해당 노드의 언더레이 주소 뒤에 있습니다. node-1은 192.168.0.11, " +
        "node-2는 192.168.0.12입니다.",
    },
    check: invariantsHold(["nat-free-reachability"]),
  } satisfies Exercise,
};

/** 4. Flat networking without NAT, and overlays. */
export const FLAT = {
  natBreakages: [
    b.nothing,
    b.firstRule("node-1", "-t nat -A POSTROUTING -s 10.244.1.0/24 -j MASQUERADE", {
      en: "MASQUERADE everything node-1's pods send (Docker style)",
      ko: "node-1 파드가 보내는 모든 것에 MASQUERADE (Docker 방식)",
    }),
  ],
  mtuBreakages: [
    b.nothing,
    b.podSideMtu("a", 1500, {
      en: "forget the overhead: MTU 1500 on pod a's side of node-1",
      ko: "오버헤드를 잊기: node-1의 파드 a 쪽 MTU를 모두 1500으로",
    }),
    b.setMtu(["node-1/eth0"], 1400, {
      en: "a smaller underlay: MTU 1400 on node-1's eth0",
      ko: "더 작은 언더레이: node-1 eth0의 MTU를 1400으로",
    }),
  ],
  fix: {
    task: {
      en: "In this Docker-style cluster, pods a and c see each other's traffic coming from the " +
        "other node's address. Change the nat rules of node-1 and node-2 so that pods on " +
        "different nodes see each other's real addresses (and still reach each other).",
      ko: "이 Docker 방식 클러스터에서는 파드 a와 c가 상대 트래픽을 상대 노드의 주소에서 온 " +
        "것으로 봅니다. node-1과 node-2의 nat 규칙을 고쳐, 다른 노드의 파드끼리 서로의 진짜 " +
        "주소를 보게 하세요(물론 계속 닿아야 합니다).",
    },
    hint: {
      en: "flannel's way: before the MASQUERADE line, add a RETURN for traffic that stays " +
        "inside the pod ranges, e.g. -t nat -A POSTROUTING -s 172.17.0.0/16 -d 172.17.0.0/16 " +
        "-j RETURN. Deleting the MASQUERADE line also works here, but then pods lose their way " +
        "out of the cluster.",
      ko: "flannel의 방법: MASQUERADE 줄 앞에 파드 대역 안에서만 오가는 트래픽을 RETURN하는 " +
        "줄을 넣으세요. 예: -t nat -A POSTROUTING -s 172.17.0.0/16 -d 172.17.0.0/16 -j RETURN. " +
        "MASQUERADE 줄을 지워도 여기서는 되지만, 그러면 파드가 클러스터 밖으로 나갈 길을 " +
        "잃습니다.",
    },
    check: allOf(delivers({ from: "a", to: "c" }), delivers({ from: "c", to: "a" })),
  } satisfies Exercise,
};

/** 5. Summary and playground. */
export const SUMMARY = {
  fix: {
    task: {
      en: "This host-gw cluster breaks one of the four rules. Find the fault with the tracer " +
        "and the rule checks, then repair it in the tables so that all the rules hold.",
      ko: "이 host-gw 클러스터는 네 규칙 중 하나를 어깁니다. 추적기와 규칙 검사로 고장을 찾아, " +
        "표를 고쳐 모든 규칙이 성립하게 하세요.",
    },
    hint: {
      en: "Trace from pod c to pod a and read the ARP step on node-2.",
      ko: "파드 c에서 파드 a로 추적해 node-2의 ARP 단계를 읽어 보세요.",
    },
    check: invariantsHold([
      "nat-free-reachability",
      "localhost-in-pod",
      "unique-pod-ips",
      "disjoint-node-cidrs",
      "stable-ip-across-restarts",
    ]),
  } satisfies Exercise,
};

/** 8. Services: the hairpin through kube-dns without kube-proxy's masquerade. */
export const SERVICES = {
  /** Pod c asks the kube-dns Service, and the random rules pick c itself. */
  hairpin: {
    from: "c",
    to: "10.96.0.10",
    proto: "udp",
    port: 53,
    branch: "10.244.2.2",
  } satisfies kernel.Probe,
  fix: {
    task: {
      en: "The break-it cell deleted kube-proxy's MASQUERADE rule from node-2, so pod c's DNS " +
        "query that lands on c itself dies as a martian. Put the rule back in node-2's table " +
        "below, so that c gets its answer from 10.96.0.10.",
      ko: "위의 망가뜨리기 셀이 node-2에서 kube-proxy의 MASQUERADE 규칙을 지웠습니다. 그래서 " +
        "파드 c 자신에게 떨어진 c의 DNS 질의가 비정상 출발지(martian)로 버려집니다. 아래 " +
        "node-2의 표에 그 규칙을 되살려, c가 10.96.0.10에서 답을 받게 하세요.",
    },
    hint: {
      en: "KUBE-SEP-… marks a packet from the endpoint itself with 0x4000; KUBE-POSTROUTING " +
        "returns unmarked packets and must masquerade the rest. Add, after the KUBE-POSTROUTING " +
        "lines: -t nat -A KUBE-POSTROUTING -j MASQUERADE",
      ko: "KUBE-SEP-…는 엔드포인트 자신이 보낸 패킷에 0x4000 표시를 붙입니다. KUBE-POSTROUTING은 " +
        "표시 없는 패킷을 RETURN하고, 나머지는 MASQUERADE해야 합니다. KUBE-POSTROUTING 줄들 " +
        "뒤에 -t nat -A KUBE-POSTROUTING -j MASQUERADE를 넣으세요.",
    },
    check: serviceAnswers({
      from: "c",
      to: "10.96.0.10",
      proto: "udp",
      port: 53,
      branch: "10.244.2.2",
    }),
  } satisfies Exercise,
};

/**
 * The playground's breakages for whatever cluster the reader built: each is
 * offered only when the world has what it breaks (a node-2, a route on
 * node-1, a pod a...).
 *
 * @param world The playground's world.
 * @returns The breakages that apply to it.
 */
export function playgroundBreakages(world: kernel.World): b.Breakage[] {
  const nodes = world.nodes;
  const first = nodes[0];
  const last = nodes[nodes.length - 1];
  const out: b.Breakage[] = [];
  const firstNs = first ? kernel.namespaceNamed(world, first.namespace) : undefined;
  const route = firstNs?.routes.find((r) => r.proto !== "kernel");
  if (first && route) {
    out.push(
      b.deleteRoute(first.namespace, route.dst.bits === 0 ? "default" : route.dst.toString()),
    );
  }
  if (last) out.push(b.ipForwardOff(last.namespace));
  if (first) {
    out.push(b.forwardDrop(first.namespace));
    out.push(
      b.firstRule(first.namespace, `-t nat -A POSTROUTING -s ${first.podCidr} -j MASQUERADE`, {
        en: `MASQUERADE on ${first.namespace} (a NAT rule)`,
        ko: `${first.namespace}에 MASQUERADE (NAT 규칙)`,
      }),
    );
  }
  if (last && kernel.deviceAt(world, { namespace: last.namespace, device: "eth0" })) {
    out.push(b.linkDown(last.namespace, "eth0"));
  }
  const podA = world.pods.find((p) => p.namespace !== undefined);
  if (podA) {
    const mtu = world.segments[0]?.mtu ?? 1500;
    if (first && first.podMtu < mtu) {
      out.push(b.podSideMtu(podA.name, mtu, {
        en: `MTU ${mtu} on pod ${podA.name}'s side (forget the tunnel's overhead)`,
        ko: ko`파드 ${podA.name} 쪽 MTU를 ${mtu}로 (터널 오버헤드 잊기)`,
      }));
    } else {
      out.push(b.podSideMtu(podA.name, 9000));
    }
    const app = podA.containers.find((c) => !c.pause && c.ports.length > 0);
    if (app) out.push(b.stopContainer(`${podA.name}/${app.name}`));
  }
  return out;
}
