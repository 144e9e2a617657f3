import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  browserLaunchOptions,
  CHROMIUM_ENV,
  describeBrowser,
  findChromium,
  resolveBrowser,
} from "../../src/lib/plots/browser";
import { npmChromiumPackage } from "../../src/lib/plots/npmChromium";

const dir = mkdtempSync(join(tmpdir(), "browser-resolve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A stand-in "system browser": a shell script answering --version (or failing like a broken install).
function fakeBrowser(name: string, script: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}
const GOOD = fakeBrowser("chromium-good", 'echo "Chromium 142.0.7444.175 built on Debian 13"');
const BROKEN = fakeBrowser(
  "chromium-broken",
  'echo "chromium: error while loading shared libraries: libfoo.so" >&2; exit 127',
);
const NO_ENV = {} as NodeJS.ProcessEnv;

describe("resolveBrowser: PNEUMO_CHROMIUM, then a system browser, then the npm Chromium", () => {
  it("PNEUMO_CHROMIUM wins over a system browser", () => {
    const b = resolveBrowser({ env: { [CHROMIUM_ENV]: GOOD }, candidates: [BROKEN] });
    expect([b.source, b.path, b.version]).toEqual([
      "PNEUMO_CHROMIUM",
      GOOD,
      "Chromium 142.0.7444.175 built on Debian 13",
    ]);
  });

  it("a PNEUMO_CHROMIUM that is missing or does not start is an error naming it, not a silent fallback", () => {
    expect(() => resolveBrowser({ env: { [CHROMIUM_ENV]: "/nonexistent/chrome" } })).toThrow(
      /no such file.*Received: PNEUMO_CHROMIUM=\/nonexistent\/chrome/,
    );
    expect(() => resolveBrowser({ env: { [CHROMIUM_ENV]: BROKEN } })).toThrow(/libfoo\.so.*Received: PNEUMO_CHROMIUM=/);
    expect(findChromium({ [CHROMIUM_ENV]: "/nonexistent/chrome" })).toBeNull();
  });

  it("takes the first system browser that starts, recording the broken one it passed over", () => {
    const b = resolveBrowser({ env: NO_ENV, candidates: ["/nonexistent/chromium", BROKEN, GOOD] });
    expect([b.source, b.path]).toEqual(["system", GOOD]);
    expect(b.skipped).toEqual([{ path: BROKEN, reason: "chromium: error while loading shared libraries: libfoo.so" }]);
    expect(b.env).toEqual({});
    expect(findChromium(NO_ENV, ["/nonexistent/chromium", BROKEN, GOOD])).toBe(BROKEN); // cheap lookup: exists, not checked
  });

  it.skipIf(!npmChromiumPackage())("without a system browser it unpacks and runs the npm @sparticuz/chromium", () => {
    const b = resolveBrowser({ env: process.env, candidates: [BROKEN] });
    expect(b.source).toBe("npm @sparticuz/chromium");
    expect(b.version).toMatch(/^Chromium \d+\.\d+\.\d+\.\d+$/);
    expect(b.path).toMatch(/\.cache\/chromium-[\d.]+\/chromium$/);
    expect(b.skipped.map((s) => s.path)).toEqual([BROKEN]);
    expect(b.env.FONTCONFIG_FILE).toMatch(/pneumo-fonts\.conf$/); // Open Sans, Plotly's first font
    expect(describeBrowser(b)).toBe(
      `${b.version} (npm @sparticuz/chromium, ${b.path}${b.env.LD_LIBRARY_PATH ? "; its own NSS libraries" : ""})`,
    );
  });
});

describe("browserLaunchOptions", () => {
  it("turns off playwright's signal handlers (they exit the process with 130) and passes the browser's env", () => {
    const opts = browserLaunchOptions({ path: GOOD, env: { LD_LIBRARY_PATH: "/x/lib" } });
    expect(opts).toMatchObject({
      executablePath: GOOD,
      headless: true,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    expect(opts.env).toMatchObject({ LD_LIBRARY_PATH: "/x/lib", PATH: process.env.PATH });
    expect(browserLaunchOptions({ path: GOOD, env: {} }).env).toBeUndefined();
  });
});
