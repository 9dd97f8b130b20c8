/**
 * Helpers for the benchmarks: percentiles, memory tracking, and the one
 * summary table.
 *
 * @module
 */

/** One line of the summary table. Times are in milliseconds, memory in MB. */
export interface Row {
  readonly what: string;
  readonly size: string;
  readonly median?: number;
  readonly p99?: number;
  readonly memory?: number;
  /** How many times faster the verifier is than pair-by-pair tracing. */
  readonly speedup?: number;
  readonly target: string;
  readonly ok?: boolean;
}

/**
 * Median, 99th percentile and maximum of a sample.
 *
 * @param xs The sample (not changed).
 * @returns The statistics.
 */
export function stats(xs: readonly number[]): { median: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p99: at(0.99), max: s[s.length - 1] };
}

/**
 * Times `fn` one call at a time, after `warmup` untimed calls (so the JIT
 * has settled).
 *
 * @param fn What to time.
 * @param runs Timed calls.
 * @param warmup Untimed calls first.
 * @returns Median, 99th percentile and maximum, in milliseconds.
 */
export function timeEach(
  fn: () => void,
  runs: number,
  warmup: number,
): { median: number; p99: number; max: number } {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return stats(times);
}

const gc = (globalThis as { gc?: () => void }).gc;
let peak = 0;

/** Memory tracking (heap after a full GC when `--expose-gc` is given). */
export const track = {
  /** Collects garbage and returns the heap in use, in bytes. */
  settle(): number {
    gc?.();
    gc?.();
    this.sample();
    return Deno.memoryUsage().heapUsed;
  },
  /** Heap grown since `base`, in MB, after a full GC (what is still reachable). */
  heapSince(base: number): number {
    gc?.();
    gc?.();
    this.sample();
    return (Deno.memoryUsage().heapUsed - base) / 1e6;
  },
  /** Notes the resident set size. */
  sample(): void {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  },
  /** The largest resident set size seen, in MB. */
  peakRss(): number {
    this.sample();
    return peak / 1e6;
  },
  /** The resident set size now, in MB. */
  rss(): number {
    this.sample();
    return Deno.memoryUsage().rss / 1e6;
  },
};

function ms(x: number | undefined): string {
  if (x === undefined) return "";
  return x < 0.1 ? `${(x * 1000).toFixed(1)} µs` : `${x.toFixed(x < 10 ? 2 : 0)} ms`;
}

/**
 * Renders the rows as one aligned table.
 *
 * @param rows The rows.
 * @returns The table text.
 */
export function table(rows: readonly Row[]): string {
  const head = ["measurement", "size", "median", "p99 / max", "memory", "speed-up", "target", ""];
  const body = rows.map((r) => [
    r.what,
    r.size,
    ms(r.median),
    ms(r.p99),
    r.memory === undefined ? "" : `${r.memory.toFixed(0)} MB`,
    r.speedup === undefined ? "" : `${r.speedup.toExponential(1)}×`,
    r.target,
    r.ok === undefined ? "" : r.ok ? "met" : "MISSED",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
