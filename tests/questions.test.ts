/**
 * The lessons' predict-then-see questions (lessons/components/questions.ts):
 * every lesson asks at least two in each language, each question's answer is
 * one of its choices and is what the kernel's own trace or route lookup
 * says, and the ids are the ones the sidebar counts.
 *
 * Run alone with `deno run -A tests/questions.test.ts`.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as kernel from "../lessons/kernel/mod.js";
import type { World } from "../lessons/kernel/mod.js";
import * as q from "../lessons/components/questions.ts";
import { QUESTIONS } from "../lessons/components/predict.ts";
import { CLUSTER } from "../lessons/components/scale.ts";

function scenario(name: string): World {
  const doc = JSON.parse(Deno.readTextFileSync(`lessons/scenarios/${name}.json`));
  return kernel.unwrap(kernel.loadScenario(doc), (e) => e.map(kernel.formatLoadError).join("; "));
}

const scale = kernel.unwrap(kernel.buildWorld(CLUSTER), (e) => e.message);
const LESSONS: Record<string, (lang: "en" | "ko") => q.Questions> = {
  index: (lang) => q.overviewQuestions(scenario("vxlan"), lang),
  "pod-stack": (lang) => q.podStackQuestions(scenario("single-host"), lang),
  pause: (lang) => q.pauseQuestions(scenario("single-host"), lang),
  hosts: (lang) => q.hostsQuestions(scenario("gateway"), lang),
  "flat-overlay": (lang) => q.flatQuestions(scenario("nat"), lang),
  summary: (lang) => q.summaryQuestions(lang),
  scale: (lang) => q.scaleQuestions(scale, lang),
  services: (lang) => q.servicesQuestions(scenario("services"), lang),
};

test("every lesson asks at least two questions in each language, with the sidebar's ids", () => {
  assert.equal(Object.keys(LESSONS).sort(), Object.keys(QUESTIONS).sort());
  for (const [slug, make] of Object.entries(LESSONS)) {
    for (const lang of ["en", "ko"] as const) {
      const qs = make(lang);
      assert.ok(qs.length >= 2, `${slug}/${lang}`);
      assert.equal(qs.map(([id]) => id), QUESTIONS[slug], `${slug}/${lang} ids`);
      for (const [id, p] of qs) {
        const keys = p.choices.map((c) => c.key);
        assert.ok(keys.length >= 2, `${slug}/${id}: a choice to make`);
        assert.is(new Set(keys).size, keys.length, `${slug}/${id}: choices are distinct`);
        assert.ok(keys.includes(p.answer), `${slug}/${id}: the answer is a choice`);
        assert.ok(p.why.length > 10, `${slug}/${id}: explained`);
        assert.ok(p.ask.en.length > 10 && /[\uac00-\ud7a3]/.test(p.ask.ko), `${slug}/${id}`);
      }
    }
  }
});

test("answers are the kernel's: TTLs, sources, drops and route lookups", () => {
  const answer = (slug: string, id: string) =>
    LESSONS[slug]("en").find(([i]) => i === id)![1].answer;
  const nat = scenario("nat");
  const hairpin = kernel.unwrap(
    kernel.trace(nat, { from: "a", to: "192.168.0.11", proto: "tcp", port: 8080 }),
    kernel.formatProbeError,
  );
  assert.is(hairpin.verdict.kind, "dropped");
  assert.is(answer("flat-overlay", "flat-hairpin"), hairpin.verdict.namespace);
  assert.is(answer("flat-overlay", "flat-nat-source"), "192.168.0.11", "node-1 masquerades");
  assert.is(answer("index", "overview-ttl"), "62", "two nodes route it");
  assert.is(answer("pod-stack", "stack-ttl"), "64", "the bridge does not route");
  assert.is(answer("pod-stack", "stack-localhost"), "delivered");
  assert.is(answer("pause", "pause-restart"), "delivered");
  assert.not.equal(answer("pause", "pause-kill"), "delivered", "the old IP is gone");
  assert.is(answer("hosts", "hosts-ttl"), "61", "node-1, the gateway and node-2 route it");
  assert.match(answer("hosts", "hosts-route-get"), /^10\.244\.2\.0\/24 via 192\.168\.0\.12/);
  assert.is(answer("summary", "summary-forward"), "node-2");
  assert.match(answer("scale", "scale-route-get"), /^10\.244\.\d+\.0\/24 via /);
  assert.is(answer("services", "services-reply-source"), "10.96.0.10", "conntrack un-DNATs");
  assert.is(answer("services", "services-hairpin"), "10.244.2.1", "masqueraded to cni0");
});

test.run();
