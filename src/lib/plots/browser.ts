/**
 * Which Chromium renders figures (and drives the browser tests): `PNEUMO_CHROMIUM`, else a system
 * Chromium/Chrome, else the one shipped on npm (`@sparticuz/chromium`), so PNG/SVG export needs nothing
 * outside `npm install`. The answer says where the binary came from and its version, for the export log.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { LaunchOptions } from "playwright-core";
import { findProjectRoot } from "../data/roots";
import { NPM_CHROMIUM_PACKAGE, npmChromiumPackage, prepareNpmChromium, probeChromium } from "./npmChromium";

/** Environment variable naming a Chrome/Chromium binary. */
export const CHROMIUM_ENV = "PNEUMO_CHROMIUM";
/** Environment variable naming the folder the npm Chromium is unpacked into (default `<project>/.cache`). */
export const CHROMIUM_CACHE_ENV = "PNEUMO_CHROMIUM_CACHE";
/** System binaries tried when the env variable is unset. */
export const CHROMIUM_CANDIDATES: readonly string[] = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
];
/** Flags for a quiet, offline, sandbox-free headless browser. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where a browser came from. */
export type BrowserSource = typeof CHROMIUM_ENV | "system" | `npm ${typeof NPM_CHROMIUM_PACKAGE}`;

/** The browser {@link resolveBrowser} picked. */
export interface ResolvedBrowser {
  path: string;
  /** `--version` output, e.g. "Chromium 153.0.8010.0". */
  version: string;
  source: BrowserSource;
  /** Environment added for the browser process (the npm Chromium's NSS libraries or fonts), maybe empty. */
  env: Record<string, string>;
  /** System browsers passed over and why (a binary that does not start). */
  skipped: { path: string; reason: string }[];
}

/** Options of {@link resolveBrowser}. */
export interface ResolveBrowserOptions {
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** System binaries to try. Default {@link CHROMIUM_CANDIDATES}. */
  candidates?: readonly string[];
  /** Where the npm Chromium is unpacked. Default env `PNEUMO_CHROMIUM_CACHE`, else `<projectRoot>/.cache/chromium-<version>`. */
  cacheDir?: string;
}

/**
 * The Chromium binary `PNEUMO_CHROMIUM` names (null when it does not exist), else the first existing
 * system path, else null. Synchronous and cheap: it does not unpack the npm Chromium (see
 * {@link resolveBrowser}, which falls back to it).
 * @example
 * findChromium(); // "/usr/bin/chromium", or null on a machine without a system browser
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env, candidates = CHROMIUM_CANDIDATES): string | null {
  const custom = env[CHROMIUM_ENV];
  if (custom) return existsSync(custom) ? custom : null;
  return candidates.find((p) => existsSync(p)) ?? null;
}

/**
 * Can a browser be had here at all: `PNEUMO_CHROMIUM` exists, or a system browser, or the npm package?
 * @example
 * describe.skipIf(!browserAvailable())("…", () => {});
 */
export function browserAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env[CHROMIUM_ENV]) return findChromium(env) !== null;
  return findChromium(env) !== null || npmChromiumPackage() !== null;
}

/** Default unpack folder of the npm Chromium, per package version. */
function defaultCacheDir(version: string, env: NodeJS.ProcessEnv): string {
  return env[CHROMIUM_CACHE_ENV] || join(findProjectRoot(), ".cache", `chromium-${version}`);
}

/** The `PNEUMO_CHROMIUM` binary, checked to start; an error names it and the reason otherwise. */
function overrideBrowser(custom: string, env: NodeJS.ProcessEnv): ResolvedBrowser {
  const probe = existsSync(custom) ? probeChromium(custom, env) : { error: "no such file" };
  if (probe.version) return { path: custom, version: probe.version, source: CHROMIUM_ENV, env: {}, skipped: [] };
  throw new Error(
    `resolveBrowser: ${CHROMIUM_ENV} must name a Chrome/Chromium binary that starts (${probe.error}). ` +
      `Fix: correct or unset it (then a system or the npm Chromium is used). Received: ${CHROMIUM_ENV}=${custom}`,
  );
}

/**
 * Pick the browser: env `PNEUMO_CHROMIUM` (must start) → the first system Chromium/Chrome that starts →
 * the npm `@sparticuz/chromium`, unpacked on first use and given its own NSS libraries where the system
 * lacks them. Each binary is checked with `--version` (~15 ms).
 * @example
 * const b = resolveBrowser();
 * `${b.version} (${b.source}) at ${b.path}`; // "Chromium 153.0.8010.0 (npm @sparticuz/chromium) at …/chromium"
 */
export function resolveBrowser(opts: ResolveBrowserOptions = {}): ResolvedBrowser {
  const env = opts.env ?? process.env;
  const custom = env[CHROMIUM_ENV];
  if (custom) return overrideBrowser(custom, env);
  const skipped: ResolvedBrowser["skipped"] = [];
  for (const path of (opts.candidates ?? CHROMIUM_CANDIDATES).filter((p) => existsSync(p))) {
    const probe = probeChromium(path, env);
    if (probe.version) return { path, version: probe.version, source: "system", env: {}, skipped };
    skipped.push({ path, reason: probe.error ?? "did not start" });
  }
  const pkg = npmChromiumPackage();
  if (!pkg) {
    const tried =
      skipped.map((s) => `${s.path}: ${s.reason}`).join("; ") ||
      `no browser at ${(opts.candidates ?? CHROMIUM_CANDIDATES).join(", ")}`;
    throw new Error(
      `resolveBrowser: PNG/SVG export needs Chromium, and ${NPM_CHROMIUM_PACKAGE} is not installed. ` +
        `Fix: npm install (it ships one), apt-get install chromium, or set ${CHROMIUM_ENV}. Received: ${tried}`,
    );
  }
  const npm = prepareNpmChromium({ cacheDir: opts.cacheDir ?? defaultCacheDir(pkg.version, env), env });
  return { ...npm, source: `npm ${NPM_CHROMIUM_PACKAGE}`, skipped };
}

/**
 * One line for logs: which browser renders.
 * @example
 * describeBrowser(b); // "Chromium 153.0.8010.0 (npm @sparticuz/chromium, /work/p/.cache/chromium-153.0.0/chromium)"
 */
export function describeBrowser(b: Pick<ResolvedBrowser, "path" | "version" | "source" | "env">): string {
  const libs = b.env.LD_LIBRARY_PATH ? "; its own NSS libraries" : "";
  return `${b.version} (${b.source}, ${b.path}${libs})`;
}

/**
 * playwright-core launch options for a resolved browser. Playwright's own SIGINT/SIGTERM/SIGHUP handlers
 * are off: they close the browser and exit the process with code 130, which kills a tslab kernel on
 * Kernel > Interrupt. Playwright still kills the browser when the process exits.
 * @example
 * const browser = await chromium.launch(browserLaunchOptions(resolveBrowser()));
 */
export function browserLaunchOptions(b: Pick<ResolvedBrowser, "path" | "env">): LaunchOptions {
  const env = Object.keys(b.env).length ? { ...process.env, ...b.env } : undefined;
  return {
    executablePath: b.path,
    headless: true,
    args: [...CHROMIUM_ARGS],
    env,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  };
}
