/**
 * Read-only views of a world, computed by the kernel when drawn: a
 * namespace's devices (as `ip -br addr` would list them), verdicts for a
 * few probes, the network model's rules with their counterexamples, and who
 * sees whom across every pair of pods.
 *
 * @module
 */
import { html } from "./dom.js";
import * as kernel from "../kernel/mod.js";
import type { InvariantName, Probe, World } from "../kernel/mod.js";
import { traceOf } from "./explore.js";
import { type Lang, type Phrase, say, UI } from "./i18n.js";

const KIND: Record<string, Phrase> = {
  loopback: { en: "loopback", ko: "루프백" },
  veth: { en: "veth", ko: "veth" },
  bridge: { en: "bridge", ko: "브리지" },
  nic: { en: "NIC", ko: "NIC" },
  vxlan: { en: "VXLAN", ko: "VXLAN" },
};

const HEAD = {
  device: { en: "device", ko: "장치" },
  kind: { en: "kind", ko: "종류" },
  state: { en: "state", ko: "상태" },
  addresses: { en: "addresses", ko: "주소" },
  other: { en: "other end / bridge", ko: "반대쪽 / 브리지" },
  probe: { en: "probe", ko: "보낸 것" },
  verdict: { en: "what happens", ko: "결과" },
};

/**
 * A namespace's devices as `ip -br addr` would list them, with the other
 * end of each veth and the bridge a port belongs to.
 *
 * @param world The world.
 * @param namespace The namespace.
 * @param options Language and test id prefix.
 * @returns A table (test id `ID-devices`, rows with `data-device`).
 */
export function deviceTable(
  world: World,
  namespace: string,
  options: { lang: Lang; id: string },
): HTMLElement {
  const { lang } = options;
  const ns = kernel.namespaceNamed(world, namespace);
  if (!ns) return html`<p class="pn-error">No namespace called "${namespace}"</p>` as HTMLElement;
  return html`
    <table class="pn-devices" data-testid=${`${options.id}-devices`}>
      <thead>
        <tr>${[
          HEAD.device,
          HEAD.kind,
          HEAD.state,
          HEAD.addresses,
          { en: "MTU", ko: "MTU" },
          HEAD.other,
        ].map(
          (h) => html`<th>${say(lang, h)}</th>`,
        )}</tr>
      </thead>
      <tbody>${ns.devices.map((d) =>
        html`
          <tr data-device=${`${ns.name}/${d.name}`}>
            <td><code>${d.name}</code></td>
            <td>${say(lang, KIND[d.kind])}</td>
            <td>${d.up ? "UP" : "DOWN"}</td>
            <td><code>${d.addresses.map((a) => a.toString()).join(" ")}</code></td>
            <td>${d.mtu}</td>
            <td><code>${d.kind === "veth"
              ? `${d.peer.namespace}/${d.peer.device}`
              : d.master ?? ""}</code></td>
          </tr>
        `
      )}</tbody>
    </table>
  ` as HTMLElement;
}

/**
 * A namespace's main table as `ip route show` prints it.
 *
 * @param world The world.
 * @param namespace The namespace.
 * @param options Test id prefix.
 * @returns A `<pre>` (test id `ID-routes`).
 */
export function routeTable(world: World, namespace: string, options: { id: string }): HTMLElement {
  const routes = kernel.namespaceNamed(world, namespace)?.routes ?? [];
  const text = routes.map((r) => kernel.formatRoute(r)).join("\n");
  return html`<pre data-testid=${`${options.id}-routes`}>${text}</pre>` as HTMLElement;
}

/** A probe in a few words: `a/sidecar → 127.0.0.1 tcp/8080`. */
export function probeText(p: Probe): string {
  const transport = p.proto && p.proto !== "icmp" ? ` ${p.proto}/${p.port ?? 8080}` : " ping";
  return `${p.from} → ${p.to}${transport}${p.size ? ` ${p.size} B` : ""}`;
}

/**
 * Verdicts for several probes in one world, one row each. Rows carry
 * `data-verdict`, `data-reason` and `data-src` like the verdict box.
 *
 * @param world The world.
 * @param probes The probes, each with an optional label.
 * @param options Language and test id prefix.
 * @returns A table (test id `ID-verdicts`, rows `ID-row-N`).
 */
export function verdictTable(
  world: World,
  probes: readonly { probe: Probe; label?: Phrase }[],
  options: { lang: Lang; id: string },
): HTMLElement {
  const { lang, id } = options;
  return html`
    <table class="pn-verdicts" data-testid=${`${id}-verdicts`}>
      <thead>
        <tr>
          <th>${say(lang, HEAD.probe)}</th>
          <th>${say(lang, HEAD.verdict)}</th>
        </tr>
      </thead>
      <tbody>${probes.map(({ probe, label }, i) => {
        const t = traceOf(world, probe);
        const v = t.trace?.verdict;
        return html`
          <tr data-testid=${`${id}-row-${i}`} data-verdict=${v?.kind ?? "error"}
            data-reason=${v?.kind === "dropped" ? v.drop.reason : null}
            data-src=${v?.kind === "delivered" ? v.src.toString() : null}>
            <td>${label ? html`${say(lang, label)}<br>` : ""}<code>${probeText(probe)}</code></td>
            <td class=${v?.kind === "delivered" ? "pn-ok-text" : "pn-bad-text"}>${v
              ? `${v.kind === "delivered" ? "✓" : "✗"} ${kernel.describeVerdict(v, lang)}${
                v.kind === "dropped"
                  ? ` — ${say(lang, UI.senderSees)}: ${
                    kernel.describeSenderSees(v.senderSees, lang)
                  }`
                  : ""
              }`
              : t.error}</td>
          </tr>
        `;
      })}</tbody>
    </table>
  ` as HTMLElement;
}

/** The network model's rules in words. */
export const RULES: Record<InvariantName, Phrase> = {
  "nat-free-reachability": {
    en:
      "every pod reaches every other pod, and the receiver sees the sender's own address (no NAT)",
    ko: "모든 파드가 다른 모든 파드에 닿고, 받는 쪽은 보낸 파드 자신의 주소를 본다(NAT 없음)",
  },
  "localhost-in-pod": {
    en: "containers of a pod reach each other's ports on localhost",
    ko: "한 파드의 컨테이너들은 localhost로 서로의 포트에 닿는다",
  },
  "unique-pod-ips": {
    en: "no two pods share an IP address",
    ko: "두 파드가 같은 IP 주소를 쓰지 않는다",
  },
  "disjoint-node-cidrs": {
    en: "no two nodes' pod ranges overlap",
    ko: "두 노드의 파드 대역이 겹치지 않는다",
  },
  "stable-ip-across-restarts": {
    en: "restarting an app container keeps the pod's namespace and IP",
    ko: "앱 컨테이너를 재시작해도 파드의 네임스페이스와 IP가 유지된다",
  },
  "path-mtu": {
    en:
      "every pod pair exchanges packets up to the sending pod's MTU, or the sender is told why not (fragmentation needed, a local error)",
    ko:
      "모든 파드 쌍은 보내는 파드의 MTU까지의 패킷을 주고받거나, 그렇지 못하면 보낸 쪽이 이유를 통보받는다(fragmentation needed, 로컬 오류)",
  },
};

const CHECKERS: Record<InvariantName, (world: World) => kernel.InvariantResult> = {
  "nat-free-reachability": kernel.natFreeReachability,
  "localhost-in-pod": kernel.localhostInPod,
  "unique-pod-ips": kernel.uniquePodIps,
  "disjoint-node-cidrs": kernel.disjointNodeCidrs,
  "stable-ip-across-restarts": kernel.stableIpAcrossRestarts,
  "path-mtu": kernel.pathMtu,
};

/**
 * Some of the network model's rules checked on a world, each with how many
 * cases the kernel checked and its first counterexamples.
 *
 * @param world The world.
 * @param names Which rules.
 * @param options Language, test id prefix, counterexamples to list per rule.
 * @returns A list (items `ID-rule-NAME` with `data-holds`).
 */
export function invariantList(
  world: World,
  names: readonly InvariantName[],
  options: {
    lang: Lang;
    id: string;
    limit?: number;
    filter?: (c: kernel.Counterexample) => boolean;
  },
): HTMLElement {
  const { lang, id } = options;
  const results = names.map((name) => CHECKERS[name](world));
  return html`<ul class="pn-rules" data-testid=${`${id}-rules`}>${
    names.map((name) => {
      const r = results.find((x) => x.name === name)!;
      const counter = r.counterexamples.filter(options.filter ?? (() => true));
      const holds = counter.length === 0;
      return html`<li data-testid=${`${id}-rule-${name}`} data-holds=${String(holds)}>
        <span class=${holds ? "pn-ok-text" : "pn-bad-text"}>${holds ? "✓" : "✗"}</span>
        ${say(lang, RULES[name])} <span class="pn-faint">(<code>${name}</code>, ${r.checked} ${
        say(lang, UI.checked)
      }${holds ? "" : `, ${counter.length} ${say(lang, UI.counterexamples)}`})</span>
        ${
        holds
          ? ""
          : html`<ul>${
            counter.slice(0, options.limit ?? 4).map((c) =>
              html`<li><code>${kernel.describeCounterexample(c, lang)}</code></li>`
            )
          }</ul>`
      }
      </li>`;
    })
  }</ul>` as HTMLElement;
}

/**
 * Who sees whom: for every ordered pair of pods, a ping's verdict — the
 * source address the receiver sees and the TTL it arrives with, marked
 * when NAT rewrote it — or why it was dropped.
 *
 * @param world The world.
 * @param options Language and test id prefix.
 * @returns A table (test id `ID-matrix`, cells with `data-pair="a>c"`).
 */
export function reachMatrix(world: World, options: { lang: Lang; id: string }): HTMLElement {
  const { lang, id } = options;
  const pods = world.pods.filter((p) => p.namespace !== undefined);
  const corner = lang === "en" ? "from ↓ to →" : "보냄 ↓ 받음 →";
  return html`
    <table class="pn-matrix" data-testid=${`${id}-matrix`}>
      <thead>
        <tr><th>${corner}</th>${pods.map((p) => html`<th>${p.name}</th>`)}</tr>
      </thead>
      <tbody>${pods.map((a) =>
        html`<tr><th>${a.name} <span class="pn-faint">${
          kernel.podIp(world, a)?.toString()
        }</span></th>${
          pods.map((b) => {
            if (a === b) return html`<td>—</td>`;
            const t = traceOf(world, { from: a.name, to: b.name });
            const v = t.trace?.verdict;
            if (!v) return html`<td>${t.error}</td>`;
            if (v.kind === "dropped") {
              return html`
                <td class="pn-bad-text" data-pair=${`${a.name}>${b.name}`} data-verdict="dropped"
                  title=${kernel.describeVerdict(v, lang)}>✗ ${v.drop.reason}</td>
              `;
            }
            const own = v.src === kernel.podIp(world, a);
            return html`
              <td class=${own ? "pn-ok-text" : "pn-bad-text"} data-pair=${`${a.name}>${b.name}`}
                data-verdict="delivered" data-src=${v.src.toString()} title=${kernel
                  .describeVerdict(v, lang)}>
                          <code>${v.src.toString()}</code> · TTL ${v.ttl}${v.natted
                            ? " · NAT"
                            : ""}</td>
            `;
          })
        }</tr>`
      )}</tbody>
    </table>
  ` as HTMLElement;
}

/** A namespace and IP at one moment, as a cell reports them. */
export interface PodPlace {
  readonly namespace: string;
  readonly ip: string;
}

/**
 * Before and after for some operations on a pod: did the namespace and the
 * IP survive? Rows carry `data-kept` ("true" when both stayed).
 *
 * @param rows What was done, and where the pod was before and after.
 * @param options Language and test id prefix.
 * @returns A table (test id `ID-changes`).
 */
export function changeTable(
  rows: readonly { what: string; before: PodPlace; after: PodPlace }[],
  options: { lang: Lang; id: string },
): HTMLElement {
  const { lang } = options;
  const h = lang === "en"
    ? ["what", "namespace", "IP", "kept?"]
    : ["한 일", "네임스페이스", "IP", "유지?"];
  return html`
    <table class="pn-changes" data-testid=${`${options.id}-changes`}>
      <thead>
        <tr>${h.map((x) => html`<th>${x}</th>`)}</tr>
      </thead>
      <tbody>${rows.map((r) => {
        const kept = r.before.namespace === r.after.namespace && r.before.ip === r.after.ip;
        return html`
          <tr data-kept=${String(kept)}>
            <td>${r.what}</td>
            <td><code>${r.before.namespace}</code> → <code>${r.after.namespace}</code></td>
            <td><code>${r.before.ip}</code> → <code>${r.after.ip}</code></td>
            <td class=${kept ? "pn-ok-text" : "pn-bad-text"}>${kept
              ? (lang === "en" ? "✓ kept" : "✓ 유지")
              : (lang === "en" ? "✗ changed" : "✗ 바뀜")}</td>
          </tr>
        `;
      })}</tbody>
    </table>
  ` as HTMLElement;
}

/**
 * The networking modes the kernel simulates, side by side, for one ping from
 * pod a to pod c: verdict, how often it was routed, TTL on arrival, the
 * source the receiver sees, the biggest packet on the underlay, and the pods'
 * MTU. Every cell is computed by building the mode's cluster and tracing.
 *
 * @param modes Builder modes to compare.
 * @param options Language and test id prefix.
 * @returns A table (test id `ID-modes`, rows with `data-mode`).
 */
export function modeComparison(
  modes: readonly kernel.Mode[],
  options: { lang: Lang; id: string },
): HTMLElement {
  const { lang } = options;
  const head = lang === "en"
    ? ["mode", "a → c", "routed", "TTL", "c sees source", "on the underlay", "pod MTU"]
    : ["방식", "a → c", "라우팅 횟수", "TTL", "c가 보는 출발지", "언더레이의 패킷", "파드 MTU"];
  const rows = modes.map((mode) => {
    const world = kernel.buildWorld({ mode });
    if (!world.ok) {
      return html`
        <tr>
          <td>${mode}</td>
          <td colspan="6">${world.error.message}</td>
        </tr>
      `;
    }
    const t = traceOf(world.value, { from: "a", to: "c" });
    if (!t.trace) {
      return html`
        <tr>
          <td>${mode}</td>
          <td colspan="6">${t.error}</td>
        </tr>
      `;
    }
    const v = t.trace.verdict;
    const steps = t.trace.hops.flatMap((h) => h.steps);
    const wire = t.trace.hops.filter((h) => h.at.kind === "segment").map((h) => h.before);
    const biggest = Math.max(0, ...wire.map((p) => p.ip.length));
    const tunnelled = wire.some((p) => p.vxlan);
    return html`
      <tr data-mode=${mode}>
        <td><code>${mode}</code></td>
        <td class=${v.kind === "delivered" ? "pn-ok-text" : "pn-bad-text"}>${v.kind === "delivered"
          ? "✓"
          : `✗ ${v.drop.reason}`}</td>
        <td>${steps.filter((s) => s.kind === "ttl").length}</td>
        <td>${v.kind === "delivered" ? v.ttl : "—"}</td>
        <td><code>${v.kind === "delivered"
          ? v.src.toString()
          : "—"}</code>${v.kind === "delivered" && v.natted ? " (NAT)" : ""}</td>
        <td>${biggest} B${tunnelled ? " (VXLAN)" : ""}</td>
        <td>${world.value.nodes[0].podMtu}</td>
      </tr>
    `;
  });
  return html`
    <table class="pn-modes" data-testid=${`${options.id}-modes`}>
      <thead>
        <tr>${head.map((h) => html`<th>${h}</th>`)}</tr>
      </thead>
      <tbody>${rows}</tbody>
    </table>
  ` as HTMLElement;
}

/**
 * The VXLAN overhead as a sum of its headers, with the total in bold:
 * "outer IPv4 (20) + UDP (8) + VXLAN (8) + the inner frame's Ethernet
 * header (14) = **50 bytes**". One element, so no line of prose can start
 * with its `+` (which Markdown would read as a list).
 *
 * @param lang The page's language.
 * @returns A `<span>` with test id `vxlan-overhead`.
 */
export function vxlanOverhead(lang: Lang): HTMLElement {
  const parts: [Phrase, number][] = [
    [{ en: "outer IPv4", ko: "바깥 IPv4" }, kernel.IPV4_HEADER_LEN],
    [{ en: "UDP", ko: "UDP" }, kernel.UDP_HEADER_LEN],
    [{ en: "VXLAN", ko: "VXLAN" }, kernel.VXLAN_HEADER_LEN],
    [
      { en: "the inner frame's Ethernet header", ko: "안쪽 프레임의 이더넷 헤더" },
      kernel.ETHERNET_HEADER_LEN,
    ],
  ];
  const total = parts.reduce((sum, [, n]) => sum + n, 0);
  const sum = parts.map(([what, n]) => `${say(lang, what)} (${n})`).join(" + ");
  return html`
    <span class="pn-formula"
      data-testid="vxlan-overhead">${sum} = <strong>${total}${lang === "en"
        ? " bytes"
        : "바이트"}</strong></span>
  ` as HTMLElement;
}
