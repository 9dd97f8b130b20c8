/**
 * `deno task scenarios` — writes the example scenarios to
 * lessons/scenarios/<mode>.json from their builders.
 *
 * @module
 */
import { buildScenario } from "../scenario/build.js";
import { EXAMPLES } from "../scenario/examples.js";

/**
 * The JSON text of an example file.
 *
 * @param doc The scenario document.
 * @returns Two-space indented JSON with a final newline.
 */
export function exampleText(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (import.meta.main) {
  for (const spec of EXAMPLES) {
    const doc = buildScenario(spec);
    if (!doc.ok) throw new Error(`${spec.mode}: ${doc.error.message}`);
    const path = new URL(`../../lessons/scenarios/${spec.name ?? spec.mode}.json`, import.meta.url);
    Deno.writeTextFileSync(path, exampleText(doc.value));
    console.log(`wrote lessons/scenarios/${spec.name ?? spec.mode}.json`);
  }
}
