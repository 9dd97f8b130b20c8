/**
 * Each lesson's predict-then-see questions, shared by its English and
 * Korean pages: the question in both languages, and the world and probe the
 * kernel answers it from. Ids match {@linkcode QUESTIONS} in predict.ts.
 *
 * @module
 */
import * as kernel from "../kernel/mod.js";
import type { World } from "../kernel/mod.js";
import type { Lang } from "./i18n.js";
import {
  arrivalTtl,
  type Prediction,
  replySource,
  routeGet,
  seenSource,
  whereItEnds,
} from "./predict.js";

/** A lesson's questions, as `[id, question]` pairs. */
export type Questions = readonly (readonly [string, Prediction])[];

const ok = <T>(r: kernel.Result<T, unknown>): T =>
  kernel.unwrap(r, (e) => (e as { message?: string }).message ?? String(e));

/** 0. Overview, on the VXLAN cluster. */
export function overviewQuestions(vxlan: World, lang: Lang): Questions {
  const probe = { from: "a", to: "c" };
  return [
    [
      "overview-ttl",
      arrivalTtl(vxlan, probe, {
        en: "Pod a pings pod c on the other node. It sends with TTL 64. With what TTL does the " +
          "echo request reach c?",
        ko: "파드 a가 다른 노드의 파드 c에 ping을 보냅니다. TTL 64로 보냅니다. 에코 요청은 어떤 " +
          "TTL로 c에 도착할까요?",
      }, lang),
    ],
    [
      "overview-source",
      seenSource(vxlan, probe, {
        en: "The packet crosses the underlay inside a VXLAN packet from node-1 to node-2. Which " +
          "source address does pod c see?",
        ko:
          "패킷은 node-1에서 node-2로 가는 VXLAN 패킷에 담겨 언더레이를 건넙니다. 파드 c는 어느 " +
          "출발지 주소를 볼까요?",
      }, lang),
    ],
  ];
}

/** 1. The pod's network stack, on one node. */
export function podStackQuestions(host: World, lang: Lang): Questions {
  return [
    [
      "stack-localhost",
      whereItEnds(host, {
        from: "a/sidecar",
        to: "127.0.0.1",
        proto: "tcp",
        port: 8080,
      }, {
        en: "In pod a, the sidecar connects to 127.0.0.1:8080, where the app container listens. " +
          "Where does the packet end?",
        ko:
          "파드 a의 sidecar가 127.0.0.1:8080에 연결합니다. app 컨테이너가 그 포트에서 기다립니다. " +
          "패킷은 어디에서 끝날까요?",
      }, lang),
    ],
    [
      "stack-ttl",
      arrivalTtl(host, { from: "a", to: "b" }, {
        en: "Pod a pings pod b on the same node (TTL 64). With what TTL does it arrive?",
        ko: "파드 a가 같은 노드의 파드 b에 ping을 보냅니다(TTL 64). 어떤 TTL로 도착할까요?",
      }, lang),
    ],
  ];
}

/** 2. The pause container: restart against kill, seen by a client that kept a's first IP. */
export function pauseQuestions(host: World, lang: Lang): Questions {
  const first = kernel.podIp(host, kernel.podNamed(host, "a")!)!.toString();
  const restarted = ok(kernel.restartContainer(host, "a/app")).world;
  const killed = ok(kernel.killPause(host, "a")).world;
  return [
    [
      "pause-restart",
      whereItEnds(restarted, { from: "b", to: first }, {
        en: `Pod a's app container is restarted. Pod b then pings a's old address ${first}. ` +
          "Where does the packet end?",
        ko: kernel
          .ko`파드 a의 app 컨테이너를 재시작했습니다. 이어서 파드 b가 a의 예전 주소 ${first}로 ` +
          "ping을 보냅니다. 패킷은 어디에서 끝날까요?",
      }, lang),
    ],
    [
      "pause-kill",
      whereItEnds(killed, { from: "b", to: first }, {
        en: `Now a's pause container is killed instead, and the kubelet builds a new sandbox. ` +
          `Pod b pings ${first} again. Where does the packet end?`,
        ko:
          kernel.ko`이번에는 a의 pause 컨테이너를 죽였고, kubelet이 새 샌드박스를 만들었습니다. ` +
          kernel.ko`파드 b가 다시 ${first}로 ping을 보냅니다. 패킷은 어디에서 끝날까요?`,
      }, lang),
    ],
  ];
}

/** 3. Pods on different hosts: the gateway's table. */
export function hostsQuestions(gateway: World, lang: Lang): Questions {
  return [
    [
      "hosts-route-get",
      routeGet(gateway, "gateway", "10.244.2.7", {
        en: "What does `ip route get 10.244.2.7` choose on the gateway?",
        ko: "게이트웨이에서 `ip route get 10.244.2.7`은 어느 경로를 고를까요?",
      }, lang),
    ],
    [
      "hosts-ttl",
      arrivalTtl(gateway, { from: "a", to: "c" }, {
        en: "Pod a pings pod c through the gateway (TTL 64). With what TTL does it arrive?",
        ko: "파드 a가 게이트웨이를 거쳐 파드 c에 ping을 보냅니다(TTL 64). 어떤 TTL로 도착할까요?",
      }, lang),
    ],
  ];
}

/** 4. Flat networking and NAT. */
export function flatQuestions(nat: World, lang: Lang): Questions {
  return [
    [
      "flat-nat-source",
      seenSource(nat, { from: "a", to: "c" }, {
        en: "On the Docker-style nodes, pod a on node-1 pings pod c on node-2. Which source " +
          "address does c see?",
        ko:
          "Docker 방식의 노드에서 node-1의 파드 a가 node-2의 파드 c에 ping을 보냅니다. c는 어느 " +
          "출발지 주소를 볼까요?",
      }, lang),
    ],
    [
      "flat-hairpin",
      whereItEnds(nat, {
        from: "a",
        to: "192.168.0.11",
        proto: "tcp",
        port: 8080,
      }, {
        en: "Pod a connects to its own node's published port, 192.168.0.11:8080, which node-1 " +
          "DNATs to pod a itself. Where does the packet end?",
        ko: "파드 a가 자기 노드의 공개 포트 192.168.0.11:8080에 연결합니다. node-1은 이를 파드 a " +
          "자신에게 DNAT합니다. 패킷은 어디에서 끝날까요?",
      }, lang),
    ],
  ];
}

/** 5. Summary: a host-gw cluster, once with node-2 not forwarding. */
export function summaryQuestions(lang: Lang): Questions {
  const world = ok(kernel.buildWorld({ mode: "host-gw" }));
  const noForward = ok(kernel.setIpForward(world, "node-2", false));
  return [
    [
      "summary-forward",
      whereItEnds(noForward, { from: "a", to: "c" }, {
        en:
          "In a host-gw cluster, node-2 has `net.ipv4.ip_forward = 0`. Pod a (node-1) pings pod c " +
          "(node-2). Where does the packet end?",
        ko:
          "host-gw 클러스터에서 node-2의 `net.ipv4.ip_forward`가 0입니다. 파드 a(node-1)가 파드 " +
          "c(node-2)에 ping을 보냅니다. 패킷은 어디에서 끝날까요?",
      }, lang),
    ],
    [
      "summary-route-get",
      routeGet(world, "node-1", "10.244.2.9", {
        en: "In the same cluster (forwarding on), what does `ip route get 10.244.2.9` choose on " +
          "node-1?",
        ko: "같은 클러스터에서(포워딩은 켜 둠) node-1의 `ip route get 10.244.2.9`는 어느 경로를 " +
          "고를까요?",
      }, lang),
    ],
  ];
}

/** 6. Scale: the 100-node host-gw cluster. */
export function scaleQuestions(base: World, lang: Lang): Questions {
  const [first, second] = base.nodes;
  const onNode = (node: string) => base.pods.find((p) => p.node === node)!.name;
  const far = base.nodes[Math.min(41, base.nodes.length - 1)];
  const dst = kernel.unwrap(
    kernel.Addr.parse(far.podCidr.toString().replace(/\.0\/\d+$/, ".7")),
    String,
  ).toString();
  return [
    [
      "scale-route-get",
      routeGet(
        base,
        first.namespace,
        dst,
        {
          en: `${first.name}'s table has a route per node. What does \`ip route get ${dst}\` ` +
            `choose on ${first.name}?`,
          ko:
            kernel.ko`${first.name}의 표에는 노드마다 경로가 하나씩 있습니다. ${first.name}에서 ` +
            `\`ip route get ${dst}\`은 어느 경로를 고를까요?`,
        },
        lang,
        4,
      ),
    ],
    [
      "scale-ttl",
      arrivalTtl(base, { from: onNode(first.name), to: onNode(second.name) }, {
        en: `A pod on ${first.name} pings a pod on ${second.name} (TTL 64). With what TTL does ` +
          "it arrive?",
        ko: kernel.ko`${first.name}의 파드가 ${second.name}의 파드에 ping을 보냅니다(TTL 64). ` +
          "어떤 TTL로 도착할까요?",
      }, lang),
    ],
  ];
}

/** 8. Services: the DNS query's answer, and the hairpin that kube-proxy masquerades. */
export function servicesQuestions(services: World, lang: Lang): Questions {
  return [
    [
      "services-reply-source",
      replySource(services, { from: "a", to: "10.96.0.10", proto: "udp", port: 53 }, {
        en: "Pod a sends a DNS query to 10.96.0.10:53. node-1 DNATs it to a CoreDNS endpoint on " +
          "node-2. From which source address does the answer reach a?",
        ko: "파드 a가 10.96.0.10:53으로 DNS 질의를 보냅니다. node-1이 이를 node-2의 CoreDNS " +
          "엔드포인트로 DNAT합니다. 답은 어느 출발지 주소로 a에 도착할까요?",
      }, lang),
    ],
    [
      "services-hairpin",
      seenSource(services, {
        from: "c",
        to: "10.96.0.10",
        proto: "udp",
        port: 53,
        branch: kernel.podIp(services, kernel.podNamed(services, "c")!)!.toString(),
      }, {
        en: "Pod c is itself a CoreDNS endpoint. Its query to 10.96.0.10 is DNATed to c. Which " +
          "source address does c's CoreDNS container see?",
        ko: "파드 c는 그 자신이 CoreDNS 엔드포인트입니다. c가 10.96.0.10으로 보낸 질의가 c " +
          "자신으로 DNAT됩니다. c의 CoreDNS 컨테이너는 어느 출발지 주소를 볼까요?",
      }, lang),
    ],
  ];
}
