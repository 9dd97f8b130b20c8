/**
 * Exercise checks: plain functions of a world that use only the public
 * kernel API, so the same check can judge a world produced anywhere — a
 * table editor, a cell, a Web Worker — and tests can run them too.
 *
 * @module
 */
import * as kernel from "../kernel/mod.js";
import { type InvariantName, ko, type Probe, type World } from "../kernel/mod.js";
import { type Lang, type Phrase, say, UI } from "./i18n.js";

/** A check's answer: solved or not, and what the kernel found, in words. */
export interface CheckResult {
  readonly ok: boolean;
  /** What still fails (or what now works), one line each. */
  readonly details: readonly string[];
}

/** A check of a world, speaking the page's language. */
export type Check = (world: World, lang: Lang) => CheckResult;

/** An exercise: the task, an optional hint, and the check. */
export interface Exercise {
  readonly task: Phrase;
  readonly hint?: Phrase;
  readonly check: Check;
}

/**
 * Passes when a probe is delivered to the pod it names, and (unless
 * `natOk`) the receiver sees the sender's own address, unrewritten.
 */
export function delivers(probe: Probe, options: { container?: string } = {}): Check {
  return (world, lang) => {
    const t = kernel.trace(world, probe);
    if (!t.ok) return { ok: false, details: [kernel.formatProbeError(t.error)] };
    const v = t.value.verdict;
    const words = `${probe.from} → ${probe.to}: ${kernel.describeVerdict(v, lang)}`;
    if (v.kind !== "delivered") return { ok: false, details: [words] };
    const src = t.value.hops[0].before.ip.src;
    const wantPod = t.value.probe.to.pod;
    const ok = v.src === src && !v.natted && (wantPod === undefined || v.pod === wantPod) &&
      (options.container === undefined || v.container === options.container);
    return { ok, details: [words] };
  };
}

/**
 * Passes when a probe to a Service is answered the way a client needs: the
 * request reaches an endpoint and the reply comes back to the sender from
 * the address it sent to (conntrack undid the DNAT on the way back).
 */
export function serviceAnswers(probe: Probe): Check {
  return (world, lang) => {
    const t = kernel.trace(world, probe);
    if (!t.ok) return { ok: false, details: [kernel.formatProbeError(t.error)] };
    const v = t.value.verdict;
    const words = `${probe.from} → ${probe.to}: ${kernel.describeVerdict(v, lang)}`;
    const reply = t.value.reply?.verdict;
    if (v.kind !== "delivered" || !reply) return { ok: false, details: [words] };
    const back = `${probe.to} → ${probe.from}: ${kernel.describeVerdict(reply, lang)}`;
    const ok = reply.kind === "delivered" && reply.src.toString() === probe.to;
    return { ok, details: [words, back] };
  };
}

/** Passes when the named invariants all hold; lists the first counterexamples otherwise. */
export function invariantsHold(names: readonly InvariantName[], limit = 4): Check {
  return (world, lang) => {
    const results = kernel.checkInvariants(world).filter((r) => names.includes(r.name));
    const failing = results.filter((r) => !r.holds);
    const details = failing.flatMap((r) => [
      `${r.name}: ${r.counterexamples.length} ${say(lang, UI.counterexamples)}`,
      ...r.counterexamples.slice(0, limit).map((c) =>
        `  ${kernel.describeCounterexample(c, lang)}`
      ),
    ]);
    return {
      ok: failing.length === 0,
      details: details.length
        ? details
        : results.map((r) =>
          `${r.name}: ${say(lang, UI.holdsRule)} (${r.checked} ${say(lang, UI.checked)})`
        ),
    };
  };
}

/** Passes while a pod has the given IP (it still exists and kept its address). */
export function podIpIs(pod: string, ip: string): Check {
  return (world, lang) => {
    const p = kernel.podNamed(world, pod);
    const now = p ? kernel.podIp(world, p)?.toString() : undefined;
    const en = lang === "en";
    return {
      ok: now === ip,
      details: [
        now === ip
          ? en ? `pod ${pod} still has ${ip}` : ko`파드 ${pod}는 여전히 ${ip}`
          : en
          ? `pod ${pod} has ${now ?? "no IP"}, not ${ip}`
          : ko`파드 ${pod}의 IP가 ${ip}가 아니라 ${now ?? "없음"}`,
      ],
    };
  };
}

/** Passes when every check passes. */
export function allOf(...checks: readonly Check[]): Check {
  return (world, lang) => {
    const results = checks.map((c) => c(world, lang));
    return { ok: results.every((r) => r.ok), details: results.flatMap((r) => r.details) };
  };
}
