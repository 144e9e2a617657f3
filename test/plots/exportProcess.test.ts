import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { browserAvailable } from "../../src/lib/plots/browser";
import { configureExporter } from "../../src/lib/plots/export";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CHILD = "test/plots/fixtures/exportChild.ts";
const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Child {
  proc: ChildProcessWithoutNullStreams;
  tmp: string;
  /** Resolves with the first output line matching `re` (rejects after 60 s). */
  line(re: RegExp): Promise<string>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

// The child exports one PNG in its own TMPDIR (so its Chromium is found by its profile folder).
function startChild(mode: "kernel" | "script", env: Record<string, string> = {}): Child {
  const tmp = mkdtempSync(`${tmpdir()}/export-child-`);
  made.push(tmp);
  const proc = spawn(process.execPath, ["--import", "tsx", CHILD, mode], {
    cwd: ROOT,
    env: { ...process.env, ...env, TMPDIR: tmp },
  });
  let out = "";
  const waiters: { re: RegExp; done: (l: string) => void; fail: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const hit = out.split("\n").find((l) => w.re.test(l));
      if (hit !== undefined) waiters.splice(waiters.indexOf(w), 1) && w.done(hit);
    }
  };
  proc.stdout.on("data", (d) => ((out += d), check()));
  proc.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | string>((done) =>
    proc.on("exit", (code, signal) => {
      done(code ?? signal ?? -1);
      setTimeout(
        () =>
          waiters
            .splice(0)
            .forEach((w) => w.fail(new Error(`child exited (${code ?? signal}) before ${w.re}:\n${out}`))),
        200,
      );
    }),
  );
  const line = (re: RegExp) =>
    new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no line ${re} from the child; output:\n${out}`)), 60_000);
      waiters.push({ re, done: (l) => (clearTimeout(timer), done(l)), fail: (e) => (clearTimeout(timer), fail(e)) });
      check();
    });
  return { proc, tmp, line, exited };
}

// Chromium processes whose profile folder lies in the child's TMPDIR (Linux /proc).
function chromiumIn(tmp: string): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`--user-data-dir=${tmp}/`)) n++;
    } catch {
      // the process ended while we looked
    }
  }
  return n;
}

async function eventually(fn: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if (fn()) return true;
  return fn();
}

describe.skipIf(!browserAvailable() || !existsSync("/proc/self/cmdline"))("the export browser and its process", () => {
  it("a SIGINT after an export interrupts but does not end the process; the kept browser renders again, and exit leaves no Chromium (issue 17 #12)", async () => {
    const child = startChild("kernel");
    expect(await child.line(/^\[pneumo-lab\] figure export: Chromium/)).toMatch(
      /\((PNEUMO_CHROMIUM|system|npm @sparticuz\/chromium),/,
    );
    await child.line(/^ready/);
    child.proc.kill("SIGINT");
    await child.line(/^interrupted/);
    child.proc.stdin.write("export\n");
    expect(await child.line(/^ok \d+/)).toMatch(/^ok [1-9]\d+/);
    expect(chromiumIn(child.tmp)).toBeGreaterThan(0);
    child.proc.stdin.write("exit\n"); // process.exit with the browser open
    expect(await child.exited).toBe(0); // playwright's own SIGINT handler made it 130
    expect(await eventually(() => chromiumIn(child.tmp) === 0)).toBe(true);
  }, 90_000);

  it("a script without its own SIGINT listener still ends on Ctrl-C (Node's default), and its Chromium goes with it", async () => {
    const child = startChild("script");
    await child.line(/^ready/);
    child.proc.kill("SIGINT");
    expect(await child.exited).toBe("SIGINT");
    expect(await eventually(() => chromiumIn(child.tmp) === 0)).toBe(true); // the browser quits when its pipe closes
  }, 90_000);

  it("a SIGTERM (a kernel shut down) still ends the process by the signal, and removes the browser's profile folder", async () => {
    const child = startChild("kernel");
    await child.line(/^ready/);
    expect(readdirSync(child.tmp).filter((f) => f.startsWith("pneumo-plots-"))).toHaveLength(1);
    child.proc.kill("SIGTERM");
    expect(await child.exited).toBe("SIGTERM");
    expect(readdirSync(child.tmp).filter((f) => f.startsWith("pneumo-plots-"))).toEqual([]);
    expect(await eventually(() => chromiumIn(child.tmp) === 0)).toBe(true);
  }, 90_000);

  it("the browser closes after the idle time, and then the script exits by itself", async () => {
    const child = startChild("script", { CHILD_IDLE_MS: "300" });
    await child.line(/^ready/);
    child.proc.stdin.end(); // nothing more to do: only the open browser keeps the process alive
    const start = Date.now();
    expect(await child.exited).toBe(0);
    expect(Date.now() - start).toBeLessThan(10_000);
    expect(chromiumIn(child.tmp)).toBe(0);
  }, 90_000);
});

describe("configureExporter", () => {
  it("rejects a negative or non-numeric idle time, naming it", () => {
    expect(() => configureExporter({ idleCloseMs: -1 })).toThrow(/idleCloseMs must be a number ≥ 0. Received: -1/);
    expect(() => configureExporter({ idleCloseMs: Number.NaN })).toThrow(/Received: NaN/);
  });
});
