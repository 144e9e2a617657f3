import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { errorText } from "../../scripts/cliMain";
import { tempDir } from "../data/helpers";

const run = promisify(execFile);

// Runs a script with tsx; resolves with its exit code and stderr (npm's own config warnings left out).
async function runScript(script: string, args: string[]): Promise<{ code: number; stderr: string[] }> {
  try {
    await run("npx", ["tsx", script, ...args], { timeout: 60_000 });
    return { code: 0, stderr: [] };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    const lines = e.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("npm warn"));
    return { code: e.code, stderr: lines };
  }
}

describe("errorText", () => {
  it("is the message after 'error: ', without the stack unless asked", () => {
    const error = new Error("split: bad. Received: x");
    expect(errorText(error)).toBe("error: split: bad. Received: x");
    expect(errorText(error, { debug: true })).toContain("    at ");
    expect(errorText("plain")).toBe("error: plain");
  });
});

describe("every CLI prints one clean message and exits 1", () => {
  const cases: [string, string[], RegExp][] = [
    ["scripts/split.ts", ["--data", "/nonexistent"], /resolveDataRoot: .*\/nonexistent/],
    ["scripts/split.ts", ["--no-such-flag"], /no-such-flag/],
    ["scripts/cli.ts", ["evaluate", "--run", "/nonexistent"], /readRunManifest: .*\/nonexistent/],
    ["scripts/export-model.ts", ["--run", "/nonexistent"], /\/nonexistent/],
    ["scripts/make-sample.ts", ["--from", "/nonexistent"], /scanDataset: .*\/nonexistent/],
  ];
  for (const [script, args, message] of cases) {
    it(`${script} ${args.join(" ")}`, async () => {
      const { code, stderr } = await runScript(script, args);
      expect(code).toBe(1);
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toMatch(/^error: /);
      expect(stderr[0]).toMatch(message);
      expect(stderr.some((l) => /^\s+at /.test(l))).toBe(false);
    }, 60_000);
  }

  it("keeps a script's own exit code", async () => {
    const { code } = await runScript("scripts/notebook-tools.ts", ["nonsense"]);
    expect(code).toBe(2);
  }, 60_000);

  it("still writes outputs when it succeeds", async () => {
    const out = tempDir();
    await run("npx", ["tsx", "scripts/split.ts", "--data", "data/sample/chest_xray", "--out", out], { timeout: 60_000 });
    expect(readdirSync(out).some((f) => f.endsWith(".csv"))).toBe(true);
  }, 60_000);
});
