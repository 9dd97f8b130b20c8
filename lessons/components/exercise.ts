/**
 * The "fix it" exercise box: the task, the kernel's verdict on the reader's
 * current world (see checks.ts), and the page's confirmation.
 *
 * @module
 */
import { html } from "./dom.js";
import type { World } from "../kernel/mod.js";
import type { CheckResult, Exercise } from "./checks.js";
import { type Lang, say, UI } from "./i18n.js";

/**
 * The exercise box: the task, the kernel's verdict on `world`, and a hint.
 * Test id `ID-exercise`, with `data-status` `solved` or `open`.
 *
 * @param world The reader's current world.
 * @param exercise Task, hint and check.
 * @param options Language and test id prefix.
 * @returns The box.
 */
export function exerciseBox(
  world: World,
  exercise: Exercise,
  options: { lang: Lang; id: string },
): HTMLElement {
  const { lang, id } = options;
  let result: CheckResult;
  try {
    result = exercise.check(world, lang);
  } catch (e) {
    result = { ok: false, details: [`${(e as Error).name}: ${(e as Error).message}`] };
  }
  return html`
    <div class=${`pn-exercise ${result.ok ? "pn-ok" : "pn-open"}`}
      data-testid=${`${id}-exercise`} data-status=${result.ok
        ? "solved"
        : "open"} aria-live="polite">
        <div class="pn-exercise-head">${say(lang, UI.exercise)}</div>
        <p>${say(lang, exercise.task)}</p>
        <p class="pn-exercise-status"><strong>${result.ok ? "✓ " : "✗ "}${say(
          lang,
          result.ok ? UI.solved : UI.notYet,
        )}</strong></p>
        <ul class="pn-exercise-details">${result.details.map((d) => html`<li>${d}</li>`)}</ul>
        ${exercise.hint
          ? html`
            <details>
              <summary>${say(lang, UI.hint)}</summary>
              <p>${say(lang, exercise.hint)}</p>
            </details>
          `
          : ""}
      </div>
  ` as HTMLElement;
}
