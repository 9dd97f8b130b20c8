/**
 * The example scenarios shipped in lessons/scenarios/: each is the output
 * of a builder, kept in the repository so the lessons, the tests and a
 * reader's own tools can load the same files. `deno task scenarios`
 * rewrites them; a test fails when a file drifts from its builder.
 *
 * @module
 */
import type { ClusterSpec } from "./build.js";

/** The example scenarios, in the order the course meets them. */
export const EXAMPLES: readonly ClusterSpec[] = [
  {
    mode: "single-host",
    description: {
      en:
        "One node, one bridge (cni0, 10.244.1.0/24), three pods. Pods on the same bridge talk directly: no routing, no NAT.",
      ko:
        "노드 하나, 브리지 하나(cni0, 10.244.1.0/24), 파드 셋. 같은 브리지의 파드끼리는 라우팅도 NAT도 없이 바로 통신한다.",
    },
  },
  {
    mode: "same-range",
    description: {
      en:
        "Two nodes whose bridges both use 10.244.0.0/24: pod addresses collide across nodes and packets reach the wrong pod or none.",
      ko:
        "두 노드의 브리지가 모두 10.244.0.0/24를 쓴다: 노드 사이에서 파드 주소가 겹쳐 패킷이 엉뚱한 파드로 가거나 어디에도 닿지 못한다.",
    },
  },
  {
    mode: "gateway",
    description: {
      en:
        "Two nodes with non-overlapping pod CIDRs and a gateway router whose routing table says which range lives behind which node.",
      ko:
        "겹치지 않는 파드 대역을 가진 두 노드와, 어느 대역이 어느 노드 뒤에 있는지 라우팅 테이블로 아는 게이트웨이 라우터.",
    },
  },
  {
    mode: "host-gw",
    description: {
      en:
        "The gateway's table spread over the nodes: each node routes the other nodes' pod CIDRs via their addresses (flannel host-gw, Calico BGP).",
      ko:
        "게이트웨이의 테이블을 노드마다 나눠 둔 구성: 각 노드가 다른 노드의 파드 대역을 그 노드 주소로 라우팅한다 (flannel host-gw, Calico BGP).",
    },
  },
  {
    mode: "vxlan",
    description: {
      en:
        "A flannel-style VXLAN overlay: flannel.1 (VNI 1, UDP 8472), onlink routes, permanent neighbour and FDB entries; pod MTU 1450.",
      ko:
        "flannel 방식의 VXLAN 오버레이: flannel.1 (VNI 1, UDP 8472), onlink 경로, 고정 이웃·FDB 항목; 파드 MTU 1450.",
    },
  },
  {
    mode: "nat",
    description: {
      en:
        "Docker-style hosts: docker0 per host, MASQUERADE on the way out and a published port (DNAT). Packets arrive, but from the node's address.",
      ko:
        "도커 방식의 호스트: 호스트마다 docker0, 나갈 때 MASQUERADE, 게시된 포트(DNAT). 패킷은 도착하지만 출발지가 노드 주소로 바뀐다.",
    },
  },
  {
    mode: "calico-bgp",
    description: {
      en:
        "Calico with BGP: no bridge. Each pod's cali veth is routed (a /32 route per pod, proxy ARP for the pod's gateway 169.254.1.1); each node holds a /26 IPAM block with a blackhole route and learns the other blocks from BIRD over a BGP full mesh. Same node: TTL 63; across nodes: 62.",
      ko:
        "BGP 방식의 Calico: 브리지가 없다. 파드마다 cali veth를 라우팅으로 잇고(파드마다 /32 경로, 파드 게이트웨이 169.254.1.1에는 프록시 ARP로 응답), 노드마다 /26 IPAM 블록과 그 블록의 blackhole 경로를 두며, 다른 블록은 BGP 풀 메시로 BIRD에게서 배운다. 같은 노드 안에서는 TTL 63, 노드를 건너면 62.",
    },
  },
  {
    mode: "calico-ipip",
    description: {
      en:
        "Calico with BGP and IP-in-IP: the same routed pods and BGP routes, but each remote block goes through tunl0 (onlink), wrapped in one more IPv4 header (protocol 4, 20 bytes); pod MTU 1480.",
      ko:
        "BGP와 IP-in-IP 방식의 Calico: 라우팅 방식의 파드와 BGP 경로는 같지만, 원격 블록으로 가는 패킷은 tunl0(onlink)을 거쳐 IPv4 헤더 하나(프로토콜 4, 20바이트)에 한 번 더 싸인다. 파드 MTU 1480.",
    },
  },
  {
    mode: "calico-vxlan",
    description: {
      en:
        "Calico with VXLAN: routed cali veths as with BGP, but Felix routes each remote block via the remote node's tunnel address on vxlan.calico (VNI 4096, UDP 4789), with a permanent neighbour and FDB entry per node; pod MTU 1450.",
      ko:
        "VXLAN 방식의 Calico: cali veth는 BGP 방식과 같이 라우팅으로 잇지만, 원격 블록은 Felix가 vxlan.calico(VNI 4096, UDP 4789) 위의 원격 노드 터널 주소로 보내며, 노드마다 고정 이웃·FDB 항목을 둔다. 파드 MTU 1450.",
    },
  },
  {
    mode: "calico-vxlan-cross-subnet",
    nodes: 4,
    pods: 1,
    description: {
      en:
        "Calico VXLAN in CrossSubnet mode: four nodes on two underlay subnets joined by a router. Blocks of nodes on the same subnet are routed directly over eth0; only traffic to the other subnet is encapsulated on vxlan.calico.",
      ko:
        "CrossSubnet 방식의 Calico VXLAN: 라우터로 이어진 두 언더레이 서브넷에 노드 네 대. 같은 서브넷 노드의 블록은 eth0으로 바로 라우팅하고, 다른 서브넷으로 가는 트래픽만 vxlan.calico로 캡슐화한다.",
    },
  },
  {
    mode: "host-gw",
    name: "services",
    nodes: 2,
    pods: 2,
    services: [
      {
        name: "kube-dns",
        namespace: "kube-system",
        portName: "dns",
        clusterIp: "10.96.0.10",
        protocol: "udp",
        port: 53,
        targetPort: 53,
        endpoints: ["c", "d"],
        container: "coredns",
      },
      {
        name: "web",
        portName: "http",
        clusterIp: "10.96.0.20",
        protocol: "tcp",
        port: 80,
        targetPort: 8080,
        nodePort: 30080,
        endpoints: ["b", "c", "d"],
      },
      {
        name: "echo",
        portName: "udp",
        clusterIp: "10.96.0.30",
        protocol: "udp",
        port: 7,
        targetPort: 8080,
        nodePort: 30007,
        externalTrafficPolicy: "Local",
        endpoints: ["c", "d"],
      },
    ],
    description: {
      en:
        "Services on a host-gw cluster: kube-proxy's iptables rules on every node DNAT the kube-dns ClusterIP 10.96.0.10:53/udp to a CoreDNS-like endpoint (c or d, on node-2) and web 10.96.0.20:80/tcp (NodePort 30080) to b, c or d, chosen at random, and echo 10.96.0.30:7/udp (NodePort 30007, externalTrafficPolicy Local) to c or d; replies return through conntrack. An external client on the underlay (client, 192.168.0.254) reaches the NodePorts; node-1, with no echo endpoint, drops 30007.",
      ko:
        "host-gw 클러스터의 서비스: 모든 노드의 kube-proxy iptables 규칙이 kube-dns ClusterIP 10.96.0.10:53/udp를 CoreDNS 역할의 엔드포인트(node-2의 c 또는 d)로, web 10.96.0.20:80/tcp(NodePort 30080)를 b, c, d 중 무작위로 고른 하나로, echo 10.96.0.30:7/udp(NodePort 30007, externalTrafficPolicy Local)를 c나 d로 DNAT한다. 응답은 conntrack을 거쳐 돌아온다. 언더레이의 외부 클라이언트(client, 192.168.0.254)가 NodePort에 접속하며, echo 엔드포인트가 없는 node-1은 30007을 버린다.",
    },
  },
];
