/**
 * Words for traces, in the two languages of the course. The trace is data;
 * this module says it in English or Korean for tables, diagrams and the
 * command line. Every closed set is matched exhaustively, so a new step,
 * drop reason or verdict does not compile until it has words here.
 *
 * @module
 */
import { match } from "ts-pattern";
import { ko } from "./josa.js";
import type { Drop, IpHeader, Packet, SenderSees, Step, Verdict } from "../trace/types.js";
import type { DeviceRef } from "../model/world.js";

/** The languages podnet speaks. */
export type Lang = "en" | "ko";

const ref = (r: DeviceRef) => `${r.namespace}/${r.device}`;

/**
 * The VXLAN FDB entry that chose the remote VTEP, as `bridge fdb show dev flannel.1` prints it:
 * `02:…:41 dst 192.168.0.12`, or `00:00:00:00:00:00 dst 192.168.0.12` for the default entry.
 */
function fdbEntry(s: { inner: Packet; remote: unknown; viaDefaultEntry: boolean; dev: string }) {
  const mac = s.viaDefaultEntry ? "00:00:00:00:00:00" : (s.inner.eth?.dst.toString() ?? "?");
  return `${mac} dst ${s.remote} dev ${s.dev}`;
}

/** Two translations of one phrase; `pick` chooses. */
function t(lang: Lang, en: string, ko: string): string {
  return lang === "en" ? en : ko;
}

/**
 * A packet header in one line: `10.244.1.2 → 10.244.2.2 icmp ttl 64 len 84 DF`.
 *
 * @param ip The header.
 * @returns The summary.
 */
/** The note on a neighbour answer a warm cache already held. */
const WARM = {
  en: "; already in the warm neighbour cache, so the packet did not wait",
  ko: "; 이미 이웃 캐시(warm)에 있어 패킷이 기다리지 않음",
} as const;

export function formatHeader(ip: IpHeader): string {
  const ports = ip.sport !== undefined ? `:${ip.sport}` : "";
  const dports = ip.dport !== undefined ? `:${ip.dport}` : "";
  const frag = ip.fragment ? ` frag≤${ip.fragment}` : "";
  return `${ip.src}${ports} → ${ip.dst}${dports} ${ip.proto} ttl ${ip.ttl} len ${ip.length}${
    ip.df ? " DF" : ""
  }${frag}`;
}

/**
 * A packet, outer headers first for an encapsulated one.
 *
 * @param p The packet.
 * @returns e.g. `[vxlan 1] 192.168.0.11 → 192.168.0.12 udp ... | 10.244.1.2 → ...`.
 */
export function formatPacket(p: Packet): string {
  const l2 = p.eth ? `${p.eth.src} → ${p.eth.dst} | ` : "";
  const outer = `${l2}${formatHeader(p.ip)}`;
  return p.vxlan ? `${outer} | vxlan ${p.vxlan.vni} | ${formatPacket(p.vxlan.inner)}` : outer;
}

/**
 * Says what one step did.
 *
 * @param step The step.
 * @param lang The language.
 * @returns One sentence.
 * @example
 * ```ts
 * import { describeStep } from "./describe.js";
 * describeStep({ kind: "ip-forward", enabled: false }, "en"); // "net.ipv4.ip_forward = 0: this namespace does not route"
 * ```
 */
export function describeStep(step: Step, lang: Lang): string {
  return match(step)
    .with(
      { kind: "send" },
      (s) =>
        t(
          lang,
          `${s.container ? `Container ${s.container} sends` : "Sends"} ${formatHeader(s.ip)}`,
          `${s.container ? ko`컨테이너 ${s.container}가` : ""} ${formatHeader(s.ip)} 전송`.trim(),
        ),
    )
    .with({ kind: "route" }, (s) => describeRoute(s, lang))
    .with(
      { kind: "ip-forward" },
      (s) =>
        s.enabled
          ? t(
            lang,
            "net.ipv4.ip_forward = 1: routing is on",
            "net.ipv4.ip_forward = 1: 라우팅 켜짐",
          )
          : t(
            lang,
            "net.ipv4.ip_forward = 0: this namespace does not route",
            "net.ipv4.ip_forward = 0: 이 네임스페이스는 라우팅하지 않음",
          ),
    )
    .with(
      { kind: "ttl" },
      (s) =>
        t(lang, `TTL ${s.before} → ${s.after} (routed)`, `TTL ${s.before} → ${s.after} (라우팅됨)`),
    )
    .with({ kind: "mtu" }, (s) =>
      match(s.outcome)
        .with("fits", () =>
          t(
            lang,
            `${s.size} bytes fit MTU ${s.mtu} of ${s.dev}`,
            `${s.size}바이트는 ${s.dev}의 MTU ${s.mtu} 이내`,
          ))
        .with("fragments", () =>
          t(
            lang,
            `${s.size} bytes exceed MTU ${s.mtu} of ${s.dev}; no DF, so fragmented`,
            `${s.size}바이트가 ${s.dev}의 MTU ${s.mtu} 초과; DF 없음 → 단편화`,
          ))
        .with("too-big", () =>
          t(
            lang,
            `${s.size} bytes exceed MTU ${s.mtu} of ${s.dev} and DF is set`,
            `${s.size}바이트가 ${s.dev}의 MTU ${s.mtu} 초과, DF 설정됨`,
          ))
        .with("wrapped-anyway", () =>
          t(
            lang,
            `${s.size} bytes exceed ${s.dev}'s path MTU ${s.mtu} over the underlay; Linux records it and wraps the packet anyway (the outer packet, DF clear, is fragmented)`,
            `${s.size}바이트가 언더레이 기준 ${s.dev}의 경로 MTU ${s.mtu} 초과; Linux는 이 값을 기록만 하고 그대로 캡슐화함(DF가 없는 바깥 패킷이 단편화됨)`,
          ))
        .exhaustive())
    .with(
      { kind: "netfilter" },
      (s) =>
        s.rule
          ? t(
            lang,
            `iptables ${s.table} ${s.hook}: ${s.verdict} by "${s.rule}"`,
            `iptables ${s.table} ${s.hook}: "${s.rule}" 규칙으로 ${s.verdict}`,
          )
          : t(
            lang,
            `iptables ${s.table} ${s.hook}: policy ${s.verdict}`,
            `iptables ${s.table} ${s.hook}: 정책 ${s.verdict}`,
          ),
    )
    .with(
      { kind: "nat" },
      (s) =>
        t(
          lang,
          `NAT ${s.hook} "${s.rule}": ${formatHeader(s.before)} ⇒ ${formatHeader(s.after)}${
            natExtras(s, "en")
          }`,
          `NAT ${s.hook} "${s.rule}": ${formatHeader(s.before)} ⇒ ${formatHeader(s.after)}${
            natExtras(s, "ko")
          }`,
        ),
    )
    .with({ kind: "neighbour" }, (s) =>
      match(s.outcome)
        .with({ kind: "entry" }, (o) =>
          t(
            lang,
            `Neighbour ${s.addr} on ${s.dev}: ${o.mac} (${o.state} entry)`,
            `이웃 ${s.addr} (${s.dev}): ${o.mac} (${o.state} 항목)`,
          ))
        .with({ kind: "arp" }, (o) =>
          t(
            lang,
            `ARP who-has ${s.addr} on ${s.dev}: ${ref(o.answeredBy)} answers ${o.mac}${
              o.others.length ? ` (also: ${o.others.map(ref).join(", ")})` : ""
            }${o.warm ? WARM.en : ""}`,
            ko`ARP ${s.addr} 질의 (${s.dev}): ${ref(o.answeredBy)}가 ${o.mac}로 응답${
              o.others.length ? ` (그 외: ${o.others.map(ref).join(", ")})` : ""
            }${o.warm ? WARM.ko : ""}`,
          ))
        .with({ kind: "proxy-arp" }, (o) =>
          t(
            lang,
            `ARP who-has ${s.addr} on ${s.dev}: nobody owns it; ${
              ref(o.answeredBy)
            } answers ${o.mac} by proxy ARP (its route "${o.route}" leaves by another device)${
              o.warm ? WARM.en : ""
            }`,
            ko`ARP ${s.addr} 질의 (${s.dev}): 주인이 없는 주소 → ${
              ref(o.answeredBy)
            }가 프록시 ARP로 ${o.mac} 응답 (그쪽 경로 "${o.route}"가 다른 장치로 나감)${
              o.warm ? WARM.ko : ""
            }`,
          ))
        .with({ kind: "failed" }, () =>
          t(
            lang,
            `ARP who-has ${s.addr} on ${s.dev}: no answer`,
            ko`ARP ${s.addr} 질의 (${s.dev}): 응답 없음`,
          ))
        .exhaustive())
    .with(
      { kind: "xmit" },
      (s) =>
        t(
          lang,
          `Out of ${s.dev}: ${s.eth.src} → ${s.eth.dst}`,
          ko`${s.dev}로 송신: ${s.eth.src} → ${s.eth.dst}`,
        ),
    )
    .with(
      { kind: "veth" },
      (s) =>
        t(lang, `veth pair ${ref(s.from)} → ${ref(s.to)}`, `veth 쌍 ${ref(s.from)} → ${ref(s.to)}`),
    )
    .with({ kind: "bridge" }, (s) =>
      match(s.decision)
        .with({ kind: "local" }, () =>
          t(
            lang,
            `Bridge ${s.bridge}: ${s.dstMac} is the bridge's own, up to the host stack`,
            ko`브리지 ${s.bridge}: ${s.dstMac}는 브리지 자신의 주소 → 호스트 스택으로`,
          ))
        .with({ kind: "fdb" }, (d) =>
          t(
            lang,
            `Bridge ${s.bridge}: FDB has ${s.dstMac} on ${d.port} (${d.state})`,
            `브리지 ${s.bridge}: FDB에 ${s.dstMac} → ${d.port} (${d.state})`,
          ))
        .with({ kind: "flood" }, (d) =>
          t(
            lang,
            `Bridge ${s.bridge}: ${s.dstMac} unknown, flooded to ${
              d.ports.join(", ")
            }; the copy on ${d.followed} reaches it`,
            ko`브리지 ${s.bridge}: ${s.dstMac} 모름 → ${
              d.ports.join(", ")
            }로 플러딩; ${d.followed}의 사본이 도달`,
          ))
        .with({ kind: "flood-lost" }, (d) =>
          t(
            lang,
            `Bridge ${s.bridge}: ${s.dstMac} unknown, flooded to ${
              d.ports.join(", ") || "no port"
            }; nobody has it`,
            ko`브리지 ${s.bridge}: ${s.dstMac} 모름 → ${
              d.ports.join(", ") || "포트 없음"
            }로 플러딩; 받는 곳 없음`,
          ))
        .exhaustive())
    .with(
      { kind: "segment" },
      (s) =>
        t(
          lang,
          `Underlay ${s.segment}: ${ref(s.from)} → ${ref(s.to)}`,
          `언더레이 ${s.segment}: ${ref(s.from)} → ${ref(s.to)}`,
        ),
    )
    .with(
      { kind: "vxlan-encap" },
      (s) =>
        t(
          lang,
          `VXLAN ${s.dev} (VNI ${s.vni}) encapsulates for ${s.remote} (FDB: ${
            fdbEntry(s)
          }): outer ${formatHeader(s.outer)}, +${s.outer.length - s.inner.ip.length} bytes`,
          ko`VXLAN ${s.dev}가 ${s.remote}로 캡슐화 (VNI ${s.vni}, FDB: ${fdbEntry(s)}): 외부 ${
            formatHeader(s.outer)
          }, +${s.outer.length - s.inner.ip.length}바이트`,
        ),
    )
    .with(
      { kind: "vxlan-decap" },
      (s) =>
        t(
          lang,
          `VXLAN ${s.dev} (VNI ${s.vni}) decapsulates: inner ${formatHeader(s.inner.ip)}`,
          `VXLAN ${s.dev} (VNI ${s.vni}) 디캡슐화: 내부 ${formatHeader(s.inner.ip)}`,
        ),
    )
    .with(
      { kind: "ipip-encap" },
      (s) =>
        t(
          lang,
          `IP-in-IP ${s.dev} encapsulates for ${s.remote}: outer ${formatHeader(s.outer)}, +${
            s.outer.length - s.inner.ip.length
          } bytes`,
          ko`IP-in-IP ${s.dev}가 ${s.remote}로 캡슐화: 외부 ${formatHeader(s.outer)}, +${
            s.outer.length - s.inner.ip.length
          }바이트`,
        ),
    )
    .with(
      { kind: "ipip-decap" },
      (s) =>
        t(
          lang,
          `IP-in-IP ${s.dev} decapsulates: inner ${formatHeader(s.inner.ip)}`,
          `IP-in-IP ${s.dev} 디캡슐화: 내부 ${formatHeader(s.inner.ip)}`,
        ),
    )
    .with(
      { kind: "receive" },
      (s) =>
        t(lang, `Received on ${s.dev} (to ${s.dstMac})`, `${s.dev}에서 수신 (목적지 ${s.dstMac})`),
    )
    .with(
      { kind: "loopback" },
      (s) => t(lang, `Local destination: through ${s.dev}`, `로컬 목적지: ${s.dev} 경유`),
    )
    .with(
      { kind: "deliver" },
      (s) =>
        s.container
          ? t(
            lang,
            `Delivered to container ${s.container} on port ${s.port}`,
            ko`컨테이너 ${s.container}의 포트 ${s.port}로 전달`,
          )
          : t(lang, "Delivered to this namespace's IP stack", "이 네임스페이스의 IP 스택으로 전달"),
    )
    .with({ kind: "drop" }, (s) => `${t(lang, "Dropped", "폐기")}: ${describeDrop(s.drop, lang)}`)
    .exhaustive();
}

function describeRoute(s: Step & { kind: "route" }, lang: Lang): string {
  const oif = s.oif ? ` (oif ${s.oif})` : "";
  return match(s.result)
    .with(
      { kind: "local" },
      (r) =>
        t(
          lang,
          `Route lookup ${s.dst}: local address (on ${r.dev})`,
          `경로 조회 ${s.dst}: 로컬 주소 (${r.dev})`,
        ),
    )
    .with(
      { kind: "none" },
      () => t(lang, `Route lookup ${s.dst}${oif}: no route`, `경로 조회 ${s.dst}${oif}: 경로 없음`),
    )
    .with({ kind: "route" }, (r) => {
      const line = formatRouteBrief(r.route);
      return t(
        lang,
        `Route lookup ${s.dst}${oif}: "${line}" (longest prefix /${r.route.dst.bits}), next hop ${r.nextHop}`,
        `경로 조회 ${s.dst}${oif}: "${line}" (최장 접두사 /${r.route.dst.bits}), 다음 홉 ${r.nextHop}`,
      );
    })
    .exhaustive();
}

function formatRouteBrief(
  r: {
    type: string;
    dst: { bits: number; toString(): string };
    via?: unknown;
    dev?: string;
    onlink: boolean;
  },
) {
  const dst = r.dst.bits === 0 ? "default" : r.dst.toString();
  return [
    r.type !== "unicast" ? r.type : "",
    dst,
    r.via ? `via ${r.via}` : "",
    r.dev ? `dev ${r.dev}` : "",
    r.onlink ? "onlink" : "",
  ]
    .filter(Boolean).join(" ");
}

/**
 * Says why a packet was dropped.
 *
 * @param d The drop.
 * @param lang The language.
 * @returns One sentence.
 */
export function describeDrop(d: Drop, lang: Lang): string {
  return match(d)
    .with(
      { reason: "no-route" },
      (x) => t(lang, `no route to ${x.dst}`, ko`${x.dst}로 가는 경로 없음`),
    )
    .with(
      { reason: "route-rejects" },
      (x) =>
        t(
          lang,
          `the route to ${x.dst} is of type ${x.type}`,
          ko`${x.dst}로 가는 경로의 타입이 ${x.type}`,
        ),
    )
    .with(
      { reason: "ip-forward-off" },
      () =>
        t(
          lang,
          "net.ipv4.ip_forward is 0, so this namespace does not forward",
          "net.ipv4.ip_forward가 0이라 포워딩하지 않음",
        ),
    )
    .with(
      { reason: "forward-drop" },
      (x) =>
        x.rule
          ? t(
            lang,
            `the ${x.hook ?? "FORWARD"} chain drops it ("${x.rule}")`,
            `${x.hook ?? "FORWARD"} 체인이 폐기 ("${x.rule}")`,
          )
          : t(lang, "the FORWARD chain's policy is DROP", "FORWARD 체인 정책이 DROP"),
    )
    .with(
      { reason: "ttl-exceeded" },
      () => t(lang, "TTL ran out (a routing loop?)", "TTL 소진 (라우팅 루프?)"),
    )
    .with(
      { reason: "mtu-exceeded" },
      (x) =>
        t(
          lang,
          `${x.size} bytes do not fit MTU ${x.mtu} of ${x.dev} and DF forbids fragmenting`,
          ko`${x.size}바이트가 ${x.dev}의 MTU ${x.mtu}를 넘고 DF 때문에 단편화 불가`,
        ),
    )
    .with(
      { reason: "frame-too-big" },
      (x) =>
        t(
          lang,
          `a ${x.size}-byte frame is larger than MTU ${x.mtu} of ${x.dev}`,
          `${x.size}바이트 프레임이 ${x.dev}의 MTU ${x.mtu}보다 큼`,
        ),
    )
    .with(
      { reason: "neighbour-unreachable" },
      (x) =>
        t(
          lang,
          `nobody answers ARP for ${x.addr} on ${x.dev}`,
          `${x.dev}에서 ${x.addr}에 대한 ARP 응답 없음`,
        ),
    )
    .with(
      { reason: "device-down" },
      (x) => t(lang, `device ${ref(x.dev)} is down`, ko`장치 ${ref(x.dev)}가 down 상태`),
    )
    .with(
      { reason: "unknown-mac" },
      (x) =>
        t(
          lang,
          `no device on this layer-2 segment has MAC ${x.mac}`,
          `이 L2 구간에 MAC ${x.mac}인 장치 없음`,
        ),
    )
    .with(
      { reason: "not-for-us" },
      (x) =>
        t(
          lang,
          `${x.dev} ignores a frame for ${x.mac} (not its MAC)`,
          ko`${x.dev}는 ${x.mac}행 프레임을 무시 (자기 MAC 아님)`,
        ),
    )
    .with(
      { reason: "no-vxlan-remote" },
      (x) =>
        t(
          lang,
          `VXLAN ${x.dev} has no FDB entry for ${x.mac} and no default entry`,
          `VXLAN ${x.dev}에 ${x.mac} FDB 항목도 기본 항목도 없음`,
        ),
    )
    .with(
      { reason: "vxlan-vni-not-found" },
      (x) =>
        t(
          lang,
          `no VXLAN device with VNI ${x.vni} on UDP port ${x.port}`,
          `UDP ${x.port}에 VNI ${x.vni}인 VXLAN 장치 없음`,
        ),
    )
    .with(
      { reason: "ipip-no-route" },
      (x) =>
        t(
          lang,
          `IP-in-IP ${x.dev}: no usable route to ${x.remote} (none, or back into a tunnel): dropped, nobody told`,
          ko`IP-in-IP ${x.dev}: ${x.remote}로 가는 쓸 만한 경로 없음(없거나 다시 터널로 들어감): 조용히 버림`,
        ),
    )
    .with(
      { reason: "vxlan-refused", why: "own-mac" },
      (x) =>
        t(
          lang,
          `VXLAN ${x.dev} drops the frame from ${x.from}: its source MAC ${x.mac} is the device's own (two VTEPs with the same MAC)`,
          ko`VXLAN ${x.dev}이(가) ${x.from}에서 온 프레임을 버림: 출발지 MAC ${x.mac}이 장치 자신의 MAC과 같음(같은 MAC을 가진 VTEP 두 개)`,
        ),
    )
    .with(
      { reason: "vxlan-refused", why: "fdb-conflict" },
      (x) =>
        t(
          lang,
          `VXLAN ${x.dev} (learning on) drops the frame from ${x.from}: a permanent FDB entry puts ${x.mac} behind another VTEP`,
          ko`VXLAN ${x.dev}(learning 켜짐)이(가) ${x.from}에서 온 프레임을 버림: 영구 FDB 항목이 ${x.mac}을 다른 VTEP 뒤에 둠`,
        ),
    )
    .with(
      { reason: "ipip-no-tunnel" },
      (x) =>
        t(
          lang,
          `IP-in-IP packet from ${x.from}: no tunnel device here takes it`,
          ko`${x.from}에서 온 IP-in-IP 패킷: 받아 줄 터널 장치 없음`,
        ),
    )
    .with(
      { reason: "martian-source" },
      (x) =>
        t(
          lang,
          `martian source ${x.addr} (it is one of this namespace's own addresses, or invalid)`,
          `비정상 출발지 ${x.addr} (이 네임스페이스 자신의 주소이거나 잘못된 주소)`,
        ),
    )
    .with(
      { reason: "martian-destination" },
      (x) => t(lang, `martian destination ${x.addr}`, `비정상 목적지 ${x.addr}`),
    )
    .with(
      { reason: "no-source-address" },
      () => t(lang, "no address to send from", "보낼 출발지 주소 없음"),
    )
    .with(
      { reason: "port-unreachable" },
      (x) =>
        t(
          lang,
          `nothing listens on ${x.proto} port ${x.port}`,
          `${x.proto} 포트 ${x.port}에서 듣는 것이 없음`,
        ),
    )
    .with(
      { reason: "wrong-pod" },
      (x) =>
        t(
          lang,
          `pod ${x.receiver} has the same address as ${x.intended} and took the packet itself; ${x.intended} never sees it (address conflict)`,
          ko`파드 ${x.receiver}가 ${x.intended}와 같은 주소를 가져서 패킷을 자기가 받음; ${x.intended}에는 닿지 않음 (주소 충돌)`,
        ),
    )
    .with({ reason: "reply-lost" }, (x) =>
      match(x.why)
        .with({ kind: "dropped" }, (w) =>
          t(
            lang,
            `the endpoint took the request, but its reply never reached the client: dropped in ${x.at}: ${
              describeDrop(w.drop, lang)
            }`,
            ko`엔드포인트는 요청을 받았지만 응답이 클라이언트에 닿지 못함: ${x.at}에서 폐기: ${
              describeDrop(w.drop, lang)
            }`,
          ))
        .with({ kind: "wrong-source" }, (w) =>
          t(
            lang,
            `the reply reached ${x.at} from ${w.got}, not from ${w.expected} the client sent to: no conntrack entry on the reply's path undid the DNAT (the reply took another path, or a hairpin without masquerade), so the client's socket drops it`,
            ko`응답이 클라이언트가 보낸 주소 ${w.expected}가 아니라 ${w.got}에서 ${x.at}에 도착함: 응답 경로의 어떤 conntrack 항목도 DNAT를 되돌리지 않아(응답이 다른 경로로 감, 또는 마스커레이드 없는 헤어핀) 클라이언트 소켓이 버림`,
          ))
        .exhaustive())
    .with(
      { reason: "loop" },
      (x) =>
        t(
          lang,
          `gave up after ${x.steps} steps: a forwarding loop that never decrements TTL`,
          `${x.steps}단계 후 중단: TTL이 줄지 않는 포워딩 루프`,
        ),
    )
    .with(
      { reason: "unmodelled" },
      (x) =>
        t(
          lang,
          `reaches ${x.what}, which podnet does not model (${x.text})`,
          `podnet이 모델링하지 않는 ${x.what}에 닿음 (${x.text})`,
        ),
    )
    .exhaustive();
}

/**
 * Says what the sender observes.
 *
 * @param s What the tracer predicts the sender sees.
 * @param lang The language.
 * @returns e.g. `ICMP destination unreachable (net) from 10.244.1.1`.
 */
export function describeSenderSees(s: SenderSees, lang: Lang): string {
  return match(s)
    .with(
      { kind: "nothing" },
      () =>
        t(
          lang,
          "nothing (the packet vanishes; ping times out)",
          "아무것도 (패킷이 사라짐; ping 시간 초과)",
        ),
    )
    .with(
      { kind: "local-error" },
      (x) =>
        t(
          lang,
          `a local error, ${x.errno}${x.mtu ? ` (mtu ${x.mtu})` : ""}`,
          `로컬 오류 ${x.errno}${x.mtu ? ` (mtu ${x.mtu})` : ""}`,
        ),
    )
    .with(
      { kind: "icmp" },
      (x) =>
        `ICMP ${x.type} (${x.code}${x.mtu ? `, mtu ${x.mtu}` : ""}) ${
          t(lang, "from", "출처")
        } ${x.from}`,
    )
    .with(
      { kind: "tcp-reset" },
      (x) => t(lang, `a TCP reset from ${x.from}`, `${x.from}의 TCP RST`),
    )
    .with(
      { kind: "reply" },
      (x) =>
        t(
          lang,
          `a reply from ${x.from} — but from the wrong pod`,
          `${x.from}의 응답 — 하지만 다른 파드가 보낸 것`,
        ),
    )
    .with(
      { kind: "unknown" },
      () =>
        t(
          lang,
          "unknown: the packet reaches something podnet does not model",
          "알 수 없음: 패킷이 podnet이 모델링하지 않는 것에 닿음",
        ),
    )
    .exhaustive();
}

/**
 * Says how a trace ended.
 *
 * @param v The verdict.
 * @param lang The language.
 * @returns One sentence.
 */
export function describeVerdict(v: Verdict, lang: Lang): string {
  return match(v)
    .with({ kind: "delivered" }, (d) => {
      const who = d.pod ? t(lang, `pod ${d.pod}`, `파드 ${d.pod}`) : d.namespace;
      const nat = d.natted ? t(lang, " after NAT", " (NAT 거침)") : "";
      return t(
        lang,
        `Delivered to ${who}${
          d.container ? `/${d.container}` : ""
        }: source ${d.src}, TTL ${d.ttl}${nat}`,
        `${who}${d.container ? `/${d.container}` : ""}에 전달: 출발지 ${d.src}, TTL ${d.ttl}${nat}`,
      );
    })
    .with(
      { kind: "dropped" },
      (d) =>
        t(
          lang,
          `Dropped in ${d.namespace}: ${describeDrop(d.drop, lang)}`,
          `${d.namespace}에서 폐기: ${describeDrop(d.drop, lang)}`,
        ),
    )
    .exhaustive();
}

/** The chain path and random branches of a nat step, in words. */
function natExtras(s: Extract<Step, { kind: "nat" }>, lang: Lang): string {
  const via = s.passed && s.passed.length > 0
    ? t(
      lang,
      `; via ${s.passed.map((r) => `"${r}"`).join(", ")}`,
      `; 거친 규칙 ${s.passed.map((r) => `"${r}"`).join(", ")}`,
    )
    : "";
  const pct = (p: number) => `${(p * 100).toFixed(1)}%`;
  const random = s.choices
    ? t(
      lang,
      `; random choice among ${s.choices.map((c) => `${c.to} ${pct(c.probability)}`).join(", ")}`,
      `; 무작위 선택: ${s.choices.map((c) => `${c.to} ${pct(c.probability)}`).join(", ")}`,
    )
    : "";
  return via + random;
}
