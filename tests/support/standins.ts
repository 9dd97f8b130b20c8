/**
 * Runs a shell script with stand-ins for the programs it may call: a
 * directory whose `ip`, `bridge`, `sysctl`, `iptables`, `tc`, `nsenter`,
 * `xargs` and `grep` only record their argv, and which is the whole
 * `PATH`, so any other program a script tries to run is not found (and
 * said so on stderr). The script runs in an empty working directory; what
 * it leaves there is reported.
 *
 * @module
 */

/** The programs that have stand-ins. */
export const STANDINS = ["ip", "bridge", "sysctl", "iptables", "tc", "nsenter", "xargs", "grep"];

/** What a script did. */
export interface StandinRun {
  /** Every stand-in call's argv, program name first, in the order they were logged. */
  readonly argv: string[][];
  readonly code: number;
  readonly stderr: string;
  /** Files the script left in its working directory or the stand-ins' directory. */
  readonly files: string[];
}

const FIELD = "\x1f";
const RECORD = "\x1e";

/** A place with the stand-ins; remove it with {@linkcode Standins.close}. */
export class Standins {
  private constructor(readonly dir: string) {}

  /** Makes the stand-ins' directory. */
  static create(): Standins {
    const dir = Deno.makeTempDirSync({ prefix: "podnet-standins-" });
    Deno.mkdirSync(`${dir}/bin`);
    for (const name of STANDINS) {
      // grep exits 1 (no match); the others succeed. Only shell builtins are used.
      const path = `${dir}/bin/${name}`;
      Deno.writeTextFileSync(
        path,
        [
          "#!/bin/sh",
          // One write per call, so that the programs of a pipeline never interleave their records.
          `r='${name}'; for a in "$@"; do r="$r${FIELD}$a"; done; printf '%s${RECORD}' "$r" >> "$STANDIN_LOG"`,
          name === "grep" ? "exit 1" : "exit 0",
          "",
        ].join("\n"),
      );
      Deno.chmodSync(path, 0o755);
    }
    return new Standins(dir);
  }

  /**
   * Runs `sh script ARGS` with only the stand-ins on PATH.
   *
   * @param script The script's text.
   * @param args Its arguments (`up`, `down`).
   * @returns What it ran, its exit code, its stderr and any file it left.
   */
  async run(script: string, args: readonly string[]): Promise<StandinRun> {
    const work = Deno.makeTempDirSync({ dir: this.dir, prefix: "work-" });
    const log = `${this.dir}/log-${crypto.randomUUID()}`;
    const file = `${this.dir}/script-${crypto.randomUUID()}.sh`;
    Deno.writeTextFileSync(log, "");
    Deno.writeTextFileSync(file, script);
    const out = await new Deno.Command("/bin/sh", {
      args: [file, ...args],
      cwd: work,
      env: { PATH: `${this.dir}/bin`, STANDIN_LOG: log, HOME: work },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = Deno.readTextFileSync(log);
    const argv = text.split(RECORD).filter((r) => r !== "").map((r) => r.split(FIELD));
    const files = [...Deno.readDirSync(work)].map((e) => `work/${e.name}`);
    Deno.removeSync(work, { recursive: true });
    Deno.removeSync(log);
    Deno.removeSync(file);
    const left = [...Deno.readDirSync(this.dir)].map((e) => e.name).filter((n) => n !== "bin");
    const binLeft = [...Deno.readDirSync(`${this.dir}/bin`)].map((e) => e.name)
      .filter((n) => !STANDINS.includes(n));
    return {
      argv,
      code: out.code,
      stderr: new TextDecoder().decode(out.stderr),
      files: [...files, ...left, ...binLeft.map((n) => `bin/${n}`)],
    };
  }

  /** Removes the stand-ins' directory. */
  close(): void {
    Deno.removeSync(this.dir, { recursive: true });
  }
}
