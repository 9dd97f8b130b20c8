/**
 * What lesson 8, "Services", computes from its cluster: the walk of a
 * DNATed packet through kube-proxy's chains with each endpoint's
 * probability, the reply traced back through conntrack, the nodes' own
 * kube-proxy rules, and a pod's `/etc/resolv.conf` as the kubelet writes it
 * (the nameserver is the kube-dns Service the nodes' rules define).
 *
 * @module
 */
import { html } from "./dom.js";
import * as kernel from "../kernel/mod.js";
import type { Step, Trace, World } from "../kernel/mod.js";
import { type Lang, type Phrase, say } from "./i18n.js";
import { traceStepper, verdictBox } from "./trace.js";

type NatStep = Extract<Step, { kind: "nat" }>;

const T = {
  rule: { en: "rule", ko: "규칙" },
  chain: { en: "chain", ko: "체인" },
  endpoint: { en: "endpoint", ko: "엔드포인트" },
  ruleProbability: { en: "--probability of its rule", ko: "규칙의 --probability" },
  chance: { en: "chance of being picked", ko: "선택될 확률" },
  taken: { en: "taken by this trace", ko: "이 추적이 고른 것" },
  rest: { en: "none: takes the rest", ko: "없음: 나머지 전부" },
  noDnat: {
    en: "No nat rule rewrote this packet: it went nowhere near a Service.",
    ko: "이 패킷을 바꾼 nat 규칙이 없습니다. 서비스를 거치지 않았습니다.",
  },
  reply: { en: "The reply, back through conntrack", ko: "conntrack을 거쳐 돌아오는 응답" },
  noReply: {
    en: "No reply was traced: the request did not reach an endpoint through a DNAT.",
    ko: "추적된 응답이 없습니다. 요청이 DNAT를 거쳐 엔드포인트에 닿지 못했습니다.",
  },
  walk: { en: "The rules the packet passed, in order", ko: "패킷이 거친 규칙(순서대로)" },
} as const satisfies Record<string, Phrase>;

/**
 * The DNAT of a trace: the first nat step that rewrote the destination.
 *
 * @param trace A trace.
 * @returns The step, or undefined when nothing DNATed the packet.
 */
export function dnatOf(trace: Trace): NatStep | undefined {
  return trace.hops.flatMap((h) => h.steps).find((s): s is NatStep =>
    s.kind === "nat" && s.before.dst !== s.after.dst
  );
}

/** The chain a rule line is in (`-A KUBE-SVC-… …` → `KUBE-SVC-…`). */
function chainOf(rule: string): string {
  return /^-A (\S+)/.exec(rule)?.[1] ?? "";
}

/**
 * The chain walk of a DNATed trace: every rule the packet passed, then the
 * table of endpoints with the `--probability` of each `statistic` rule and
 * the chance that works out to (rule i of n matches with 1/(n-i) of what is
 * left, so every endpoint gets 1/n). Test ids `ID-walk` (the list, with
 * `data-rules`), `ID-choices` (the table, one row per endpoint with
 * `data-endpoint`, `data-chance` and `data-taken`).
 *
 * @param world The world the trace ran in (its rules give each branch's `--probability`).
 * @param trace The trace of a packet to a Service.
 * @param options Language and test id prefix.
 * @returns A `<div>`.
 */
export function chainWalk(
  world: World,
  trace: Trace,
  options: { lang: Lang; id: string },
): HTMLElement {
  const { lang, id } = options;
  const nat = dnatOf(trace);
  if (!nat) return html`<p data-testid=${`${id}-walk`} data-rules="0">${say(lang, T.noDnat)}</p>`;
  const rules = [...(nat.passed ?? []), nat.rule];
  const ns = kernel.namespaceNamed(world, trace.hops.find((h) => h.steps.includes(nat))!.at.name);
  const taken = `${nat.after.dst}:${nat.after.dport}`;
  const svc = rules.map(chainOf).find((c) => c.startsWith("KUBE-SVC-"));
  // The rule of the KUBE-SVC chain that jumps to the KUBE-SEP chain DNATing to each endpoint.
  const all = ns?.netfilter.rules ?? [];
  const dnatsTo = (chain: string, to: string) =>
    all.some((r) =>
      r.chain === chain && r.target.kind === "DNAT" && `${r.target.to}:${r.target.port}` === to
    );
  const branchTo = (to: string) =>
    all.find((r) => r.chain === svc && r.target.kind === "JUMP" && dnatsTo(r.target.chain, to));
  const sepOf = (to: string) => {
    const t = branchTo(to)?.target;
    return t?.kind === "JUMP" ? t.chain : undefined;
  };
  const ruleProbability = (to: string) => branchTo(to)?.match.probability;
  const choices = nat.choices ?? [{ to: taken, probability: 1 }];
  const percent = (p: number) => `${(p * 100).toFixed(1)}%`;
  return html`
    <div class="pn-chain-walk">
      <p>${say(lang, T.walk)}</p>
      <ol data-testid=${`${id}-walk`} data-rules=${rules.length}>${rules.map((r) =>
        html`<li><code>${r}</code></li>`
      )}</ol>
      <table data-testid=${`${id}-choices`}>
        <thead>
          <tr>
            <th scope="col">${say(lang, T.endpoint)}</th>
            <th scope="col">${say(lang, T.chain)}</th>
            <th scope="col">${say(lang, T.ruleProbability)}</th>
            <th scope="col">${say(lang, T.chance)}</th>
          </tr>
        </thead>
        <tbody>${choices.map((c) => {
          const p = ruleProbability(c.to);
          return html`
            <tr data-endpoint=${c.to} data-chance=${c.probability} data-taken=${c.to === taken}>
              <td><code>${c.to}</code>${c.to === taken ? ` ← ${say(lang, T.taken)}` : ""}</td>
              <td><code>${sepOf(c.to) ?? "—"}</code></td>
              <td>${p === undefined ? say(lang, T.rest) : p.toFixed(5)}</td>
              <td>${percent(c.probability)}</td>
            </tr>
          `;
        })}</tbody>
      </table>
    </div>
  ` as HTMLElement;
}

/**
 * Every endpoint address the nodes' `KUBE-SEP-…` chains DNAT to, once each,
 * for a probe's `branch`.
 *
 * @param world The world.
 * @returns Addresses, in rule order.
 */
export function endpointAddrs(world: World): string[] {
  const out = new Set<string>();
  for (const ns of world.namespaces) {
    for (const r of ns.netfilter.rules) {
      if (r.chain.startsWith("KUBE-SEP-") && r.target.kind === "DNAT") {
        out.add(r.target.to.toString());
      }
    }
  }
  return [...out];
}

/**
 * The reply of a Service trace: its verdict and a hop stepper. Test ids
 * `ID-reply-verdict`, `ID-reply-stepper`; `ID-reply` on the whole.
 *
 * @param trace The trace of the request.
 * @param options Language and test id prefix.
 * @returns A `<section>`.
 */
export function replyView(trace: Trace, options: { lang: Lang; id: string }): HTMLElement {
  const { lang, id } = options;
  const reply = trace.reply;
  const tid = `${id}-reply`;
  if (!reply) {
    return html`
      <section data-testid=${tid} data-reply="none">
        <h3>${say(lang, T.reply)}</h3>
        <p>${say(lang, T.noReply)}</p>
      </section>
    ` as HTMLElement;
  }
  return html`<section class="pn-reply" data-testid=${tid} data-reply=${reply.verdict.kind}>
    <h3>${say(lang, T.reply)}</h3>
    ${verdictBox(reply, { lang, id: tid })}
    ${traceStepper(reply, { lang, id: tid })}
  </section>` as HTMLElement;
}

/**
 * The kube-proxy rules of a node's nat table (`iptables-save -t nat | grep
 * KUBE` shows the same rules, with `-t nat` left out and the chains
 * declared first).
 *
 * @param world The world.
 * @param node The node's namespace.
 * @returns One line per rule or chain, in the node's order.
 */
export function kubeRules(world: World, node: string): string[] {
  const ns = kernel.namespaceNamed(world, node);
  if (!ns) return [];
  return kernel.iptablesLines(ns).filter((l) => l.startsWith("-t nat ") && l.includes("KUBE"))
    .map((l) => l.slice("-t nat ".length));
}

/**
 * A pod's `/etc/resolv.conf` as the kubelet writes it under the default
 * `ClusterFirst` DNS policy: the kube-dns Service's ClusterIP as the
 * nameserver (found in the nodes' rules: the Service on port 53/udp), the
 * search path of the pod's namespace and the cluster domain, `ndots:5`.
 *
 * @param world The world.
 * @param namespace The pod's Kubernetes namespace (default `default`).
 * @param domain The cluster domain (default `cluster.local`).
 * @returns The file's text, or undefined when no Service listens on 53/udp.
 * @example
 * ```ts
 * import { resolvConf } from "./services.js";
 * declare const world: import("../kernel/mod.js").World;
 * resolvConf(world); // "nameserver 10.96.0.10\nsearch default.svc.cluster.local ..."
 * ```
 */
export function resolvConf(
  world: World,
  namespace = "default",
  domain = "cluster.local",
): string | undefined {
  const dns = kernel.servicePorts(world).find((s) => s.proto === "udp" && s.port === 53);
  if (!dns) return undefined;
  return [
    `nameserver ${dns.clusterIp}`,
    `search ${namespace}.svc.${domain} svc.${domain} ${domain}`,
    "options ndots:5",
  ].join("\n") + "\n";
}

/**
 * The names a resolver with `ndots:5` tries for a name, in order: a name
 * with fewer than five dots goes through the search list first.
 *
 * @param name The name the application asked for.
 * @param conf The resolv.conf text.
 * @returns The fully qualified names tried, in order.
 */
export function searchOrder(name: string, conf: string): string[] {
  const search = /^search (.*)$/m.exec(conf)?.[1].split(/\s+/) ?? [];
  const ndots = Number(/ndots:(\d+)/.exec(conf)?.[1] ?? 1);
  if (name.endsWith(".")) return [name];
  const dots = name.split(".").length - 1;
  const listed = search.map((s) => `${name}.${s}.`);
  return dots >= ndots ? [`${name}.`, ...listed] : [...listed, `${name}.`];
}
