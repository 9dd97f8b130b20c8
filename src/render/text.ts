/**
 * Plain-text and JSON forms of traces and invariant results, for the
 * command line.
 *
 * @module
 */
import { match } from "ts-pattern";
import type { Counterexample, InvariantResult } from "../invariants/invariants.js";
import type { Trace } from "../trace/types.js";
import { ko } from "./josa.js";
import {
  describeDrop,
  describeSenderSees,
  describeStep,
  describeVerdict,
  formatHeader,
  type Lang,
} from "./describe.js";

/**
 * A trace as a table: one row per step, grouped by hop, then the verdict.
 *
 * @param trace The trace.
 * @param lang The language.
 * @returns Lines of text.
 * @example
 * ```ts
 * import { formatTrace } from "./text.js";
 * declare const trace: import("../trace/types.js").Trace;
 * console.log(formatTrace(trace, "en"));
 * ```
 */
export function formatTrace(trace: Trace, lang: Lang = "en"): string {
  const p = trace.probe;
  const from = p.from.pod
    ? `${p.from.pod}${p.from.container ? `/${p.from.container}` : ""}`
    : p.from.namespace;
  const to = p.to.pod ? `${p.to.pod} (${p.to.addr})` : `${p.to.addr}`;
  const lines = [`${from} → ${to}: ${formatHeader(p.packet)}`, ""];
  const width = Math.max(5, ...trace.hops.map((h) => placeLabel(h.at).length));
  lines.push(`${"hop".padEnd(4)}${"where".padEnd(width + 2)}step`);
  trace.hops.forEach((hop, i) => {
    hop.steps.forEach((step, j) => {
      const left = j === 0
        ? `${String(i + 1).padEnd(4)}${placeLabel(hop.at).padEnd(width + 2)}`
        : " ".repeat(width + 6);
      lines.push(`${left}${describeStep(step, lang)}`);
    });
  });
  if (trace.reply) {
    lines.push(
      "",
      lang === "en" ? "The reply, back through conntrack:" : "응답 (conntrack을 거쳐 돌아가는 길):",
      ...formatTrace(trace.reply, lang).split("\n").slice(2).map((l) => `  ${l}`),
    );
  }
  lines.push("", describeVerdict(trace.verdict, lang));
  if (trace.verdict.kind === "dropped") {
    lines.push(
      `${lang === "en" ? "The sender sees" : "보낸 쪽이 보는 것"}: ${
        describeSenderSees(trace.verdict.senderSees, lang)
      }`,
    );
  }
  return lines.join("\n");
}

function placeLabel(at: Trace["hops"][number]["at"]): string {
  return at.kind === "segment" ? `${at.name} (segment)` : `${at.name} (${at.role})`;
}

/**
 * A trace as one JSON-ready object: `verdict` ("delivered" or "dropped"),
 * `reason` when dropped, `to`, `src` and `ttl` when delivered, and `hops`
 * with every step (as data and as an English sentence); `reply`, the same
 * for the reply to a Service request (from the endpoint back to the client).
 *
 * @param trace The trace.
 * @returns Plain data; addresses become strings when stringified.
 */
export function traceToJson(trace: Trace): Record<string, unknown> {
  const v = trace.verdict;
  const head = match(v)
    .with({ kind: "delivered" }, (d) => ({
      verdict: "delivered",
      to: d.pod ?? d.namespace,
      namespace: d.namespace,
      container: d.container,
      src: d.src.toString(),
      dst: d.dst.toString(),
      ttl: d.ttl,
      natted: d.natted,
      conflicts: d.conflicts,
    }))
    .with({ kind: "dropped" }, (d) => ({
      verdict: "dropped",
      reason: d.drop.reason,
      namespace: d.namespace,
      drop: d.drop,
      message: describeDrop(d.drop, "en"),
      senderSees: d.senderSees,
    }))
    .exhaustive();
  return {
    ...head,
    probe: trace.probe,
    hops: trace.hops.map((h) => ({
      at: h.at,
      before: h.before,
      after: h.after,
      steps: h.steps.map((s) => ({ ...s, text: describeStep(s, "en") })),
    })),
    ...(trace.reply ? { reply: traceToJson(trace.reply) } : {}),
  };
}

/**
 * Says what one counterexample shows.
 *
 * @param c The counterexample.
 * @param lang The language.
 * @returns One line.
 */
export function describeCounterexample(c: Counterexample, lang: Lang = "en"): string {
  const en = lang === "en";
  return match(c)
    .with({ invariant: "nat-free-reachability" }, (x) => {
      const why = match(x.problem)
        .with({ kind: "dropped" }, (p) => describeDrop(p.drop, lang))
        .with(
          { kind: "source-rewritten" },
          (p) =>
            en
              ? `the receiver sees source ${p.seen}, not ${p.expected}`
              : ko`받는 쪽이 ${p.expected}가 아닌 ${p.seen}를 출발지로 봄`,
        )
        .with(
          { kind: "nat-applied" },
          () => en ? "a NAT rule rewrote the packet" : "NAT 규칙이 패킷을 바꿈",
        )
        .exhaustive();
      return `${x.from} → ${x.to}: ${why}`;
    })
    .with(
      { invariant: "localhost-in-pod" },
      (x) =>
        `${x.pod}: ${x.from} → 127.0.0.1:${x.port}/${x.proto} (${x.to}): ${
          describeVerdict(x.trace.verdict, lang)
        }`,
    )
    .with(
      { invariant: "unique-pod-ips" },
      (x) =>
        en
          ? `${x.ip} is used by pods ${x.pods.join(", ")}`
          : ko`${x.ip}를 파드 ${x.pods.join(", ")}가 함께 씀`,
    )
    .with(
      { invariant: "disjoint-node-cidrs" },
      (x) =>
        en
          ? `${x.node} (${x.cidr}) overlaps ${x.overlaps} (${x.otherCidr})`
          : ko`${`${x.node} (${x.cidr})`}가 ${`${x.overlaps} (${x.otherCidr})`}와 겹침`,
    )
    .with(
      { invariant: "stable-ip-across-restarts" },
      (x) =>
        en
          ? `restarting ${x.pod}/${x.container} moves the pod from ${
            x.before.ip ?? "none"
          } (${x.before.namespace}) to ${x.after.ip ?? "none"} (${
            x.after.namespace ?? "no namespace"
          })`
          : `${x.pod}/${x.container} 재시작 시 ${x.before.ip ?? "없음"} (${x.before.namespace}) → ${
            x.after.ip ?? "없음"
          } (${x.after.namespace ?? "네임스페이스 없음"})`,
    )
    .with(
      { invariant: "path-mtu" },
      (x) =>
        en
          ? `${x.from} → ${x.to}: DF packets of ${x.size} bytes and more (its MTU is ${x.mtu}) are lost in ${x.namespace} and nobody is told: ${
            describeDrop(x.drop, lang)
          }`
          : ko`${x.from} → ${x.to}: ${x.size}바이트 이상의 DF 패킷(MTU ${x.mtu})이 ${x.namespace}에서 사라지고 아무도 통보받지 못함: ${
            describeDrop(x.drop, lang)
          }`,
    )
    .exhaustive();
}

/**
 * Invariant results as text: one line per invariant, then its
 * counterexamples (at most `limit` each).
 *
 * @param results The results.
 * @param limit Counterexamples to list per invariant.
 * @returns Lines of text.
 */
export function formatInvariants(results: readonly InvariantResult[], limit = 20): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(
      `${r.holds ? "holds " : "FAILS "} ${r.name} (${r.checked} checked${
        r.holds
          ? ""
          : `, ${r.counterexamples.length} counterexample${
            r.counterexamples.length === 1 ? "" : "s"
          }`
      })`,
    );
    for (const c of r.counterexamples.slice(0, limit)) {
      lines.push(`         ${describeCounterexample(c)}`);
    }
    if (r.counterexamples.length > limit) {
      lines.push(`         ... and ${r.counterexamples.length - limit} more`);
    }
  }
  return lines.join("\n");
}
