import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorText } from "../../scripts/cliMain";
import { tempDir } from "../data/helpers";
import { runScript } from "./runScript";

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
    const { code } = await runScript("scripts/split.ts", ["--data", "data/sample/chest_xray", "--out", out]);
    expect(code).toBe(0);
    expect(readdirSync(out).some((f) => f.endsWith(".csv"))).toBe(true);
  }, 60_000);
});
