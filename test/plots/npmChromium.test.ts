import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { CHROMIUM_CACHE_ENV, CHROMIUM_ENV } from "../../src/lib/plots/browser";
import { extractTar, npmChromiumPackage, prepareNpmChromium } from "../../src/lib/plots/npmChromium";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const PKG = npmChromiumPackage();
const made: string[] = [];
const tempDir = (prefix: string) => (made.push(mkdtempSync(join(tmpdir(), prefix))), made[made.length - 1]);
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

// A mount namespace (root + util-linux unshare) lets a test hide system files without changing the machine.
const canUnshare = (): boolean => process.platform === "linux" && spawnSync("unshare", ["-m", "true"]).status === 0;

/** One 512-byte ustar header (checksum left blank: extractTar does not read it). */
function tarHeader(name: string, size: number, type = "0"): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write("0000644\0", 100);
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  h.write(type, 156);
  return h;
}

describe("npmChromiumPackage", () => {
  // It is a dependency: where it is installed, no browser test may skip for want of a browser.
  it("finds the installed @sparticuz/chromium and its bin/ archives (any build layout)", () => {
    expect(PKG).not.toBeNull();
    expect(PKG!.version).toBe(
      JSON.parse(readFileSync(join(ROOT, "node_modules/@sparticuz/chromium/package.json"), "utf8")).version,
    );
    expect(existsSync(join(PKG!.binDir, "chromium.br"))).toBe(true);
  });
});

describe("extractTar", () => {
  it.skipIf(!PKG)("unpacks the package's NSS archive (al2023.tar.br) with file modes", () => {
    const dir = tempDir("tar-al2023-");
    const files = extractTar(brotliDecompressSync(readFileSync(join(PKG!.binDir, "al2023.tar.br"))), dir);
    expect(files).toEqual(expect.arrayContaining(["lib/libnss3.so", "lib/libnspr4.so", "lib/libnssutil3.so"]));
    expect(readFileSync(join(dir, "lib/libnss3.so")).subarray(1, 4).toString()).toBe("ELF");
  });

  it("refuses an entry that climbs out of the target folder", () => {
    const tar = Buffer.concat([tarHeader("../evil", 0), Buffer.alloc(1024)]);
    expect(() => extractTar(tar, tempDir("tar-evil-"))).toThrow(/escapes the target folder. Received: \.\.\/evil/);
  });
});

describe.skipIf(!PKG || !canUnshare())(
  "npm Chromium without the system's libnss3/libnspr4 (needs `unshare -m` as root; skipped where unavailable)",
  () => {
    it("fails to start without the fallback, and renders PNG + SVG with the package's own NSS on LD_LIBRARY_PATH", () => {
      const cacheDir = tempDir("chromium-no-nss-");
      const { path, env } = prepareNpmChromium({ cacheDir }); // unpack the binary while the system libraries are visible
      expect(env.LD_LIBRARY_PATH).toBeUndefined(); // this machine has them, so no fallback yet
      // The system NSS files the binary loads, e.g. /lib/x86_64-linux-gnu/libnss3.so, to cover with /dev/null.
      const ldd = execFileSync("ldd", [path], { encoding: "utf8" });
      const hide = [...ldd.matchAll(/^\s*(lib(?:nss3|nssutil3|smime3|nspr4|plc4|plds4)\.so\S*) => (\/\S+)/gm)].map(
        (m) => m[2],
      );
      expect(hide.map((p) => p.split("/").pop())).toEqual(expect.arrayContaining(["libnss3.so", "libnspr4.so"]));
      const mounts = hide.map((p) => `mount --bind /dev/null ${p}`).join(" && ");
      const child = `${process.execPath} --import tsx test/plots/fixtures/noNssChild.ts ${cacheDir}`;
      const run = spawnSync("unshare", ["-m", "sh", "-c", `${mounts} && exec ${child}`], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, [CHROMIUM_ENV]: "", [CHROMIUM_CACHE_ENV]: cacheDir },
        timeout: 120_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout.trim().split("\n").pop()!);
      expect(result.bareError).toMatch(
        /error while loading shared libraries: .*lib(nss3|nspr4|nssutil3|smime3|plc4|plds4)\.so/,
      );
      expect(result.launchBare).toMatch(/error while loading shared libraries/);
      expect(result).toMatchObject({ source: "npm @sparticuz/chromium", pngSignature: "PNG", svgHasTitle: true });
      expect(result.ldLibraryPath).toMatch(new RegExp(`^${join(cacheDir, "al2023", "lib")}`));
      expect(result.pngBytes).toBeGreaterThan(2000);
      expect(readdirSync(join(cacheDir, "al2023", "lib"))).toContain("libnss3.so");
      expect(existsSync(join(cacheDir, "no-nss.png"))).toBe(true);
    }, 180_000);
  },
);
