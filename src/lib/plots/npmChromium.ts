/**
 * The Chromium shipped on npm by `@sparticuz/chromium` (brotli-packed headless shell), unpacked into a
 * cache folder of our own. The package's `executablePath()` unpacks into a fixed `/tmp/chromium` and returns
 * a half-written file to a second process that asks meanwhile (vitest runs test files in parallel), and it
 * unpacks its NSS libraries only on AWS Lambda (keyed on `AWS_EXECUTION_ENV`). Here every file is written
 * under a temporary name and renamed, and the libraries are unpacked wherever the system lacks them.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { brotliDecompressSync } from "node:zlib";

/** The npm package that ships a Chromium. */
export const NPM_CHROMIUM_PACKAGE = "@sparticuz/chromium";

/** A Chromium binary that runs here, with what its launch needs. */
export interface RunnableChromium {
  path: string;
  /** `chromium --version`, e.g. "Chromium 153.0.8010.0". */
  version: string;
  /** Environment added for the browser process (LD_LIBRARY_PATH, FONTCONFIG_FILE), empty when none. */
  env: Record<string, string>;
}

/** Options of {@link prepareNpmChromium}. */
export interface NpmChromiumOptions {
  /** Folder to unpack into. Default `<cacheRoot>/chromium-<package version>`. */
  cacheDir?: string;
  /** Environment the browser will run in (read for LD_LIBRARY_PATH and fontconfig). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The system's fontconfig file, included in ours. Default `/etc/fonts/fonts.conf`. */
  systemFontsConf?: string;
}

const requireHere = createRequire(import.meta.url);

/** The package's `bin/` folder and version, or null when it is not installed. */
export function npmChromiumPackage(): { binDir: string; version: string } | null {
  let entry: string;
  try {
    entry = requireHere.resolve(NPM_CHROMIUM_PACKAGE); // <pkg>/build/index.js (153) or <pkg>/build/cjs/index.cjs (143)
  } catch {
    return null;
  }
  // Up to the package's own package.json (build/cjs/ holds one of its own, {"type": "commonjs"}).
  let root = dirname(entry);
  while (!isPackageRoot(root) && dirname(root) !== root) root = dirname(root);
  const binDir = join(root, "bin");
  if (!existsSync(join(binDir, "chromium.br"))) return null;
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  return { binDir, version };
}

// Whether `dir` is the package's own root (its package.json names it).
function isPackageRoot(dir: string): boolean {
  const path = join(dir, "package.json");
  return (
    existsSync(path) && (JSON.parse(readFileSync(path, "utf8")) as { name?: string }).name === NPM_CHROMIUM_PACKAGE
  );
}

/** Write a file under a temporary name, then rename it into place (a reader never sees half a file). */
function writeAtomic(path: string, bytes: Buffer, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes, { mode });
  renameSync(tmp, path);
}

/**
 * Unpack the regular files and folders of an (uncompressed) ustar archive into `dir`; links and other
 * entries are skipped (the package's archives hold none).
 * @example
 * extractTar(brotliDecompressSync(readFileSync("bin/al2023.tar.br")), "/cache/al2023"); // ["lib/libnss3.so", …]
 */
export function extractTar(tar: Buffer, dir: string): string[] {
  const files: string[] = [];
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break; // end-of-archive blocks
    const field = (from: number, len: number) => header.toString("utf8", from, from + len).replace(/\0.*$/s, "");
    const name = [field(345, 155), field(0, 100)].filter(Boolean).join("/");
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1) || "0";
    const mode = parseInt(field(100, 8).trim() || "644", 8) & 0o777;
    const body = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (name.split("/").includes(".."))
      throw new Error(`extractTar: entry escapes the target folder. Received: ${name}`);
    if (type === "5") mkdirSync(join(dir, name), { recursive: true });
    if (type !== "0") continue;
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), body, { mode });
    files.push(name);
  }
  return files;
}

/** Unpack `<binDir>/<archive>.tar.br` into `<cacheDir>/<archive>` once (a folder renamed into place). */
function unpackArchive(binDir: string, cacheDir: string, archive: string): string {
  const target = join(cacheDir, archive);
  if (existsSync(target)) return target;
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  extractTar(brotliDecompressSync(readFileSync(join(binDir, `${archive}.tar.br`))), tmp);
  try {
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true }); // another process finished first: use its copy
    if (!existsSync(target)) throw err;
  }
  return target;
}

/**
 * Run `<path> --version` in an environment; the version line, or the loader's error (a missing library).
 * @example
 * probeChromium("/usr/bin/chromium", process.env); // { version: "Chromium 142.0.7444.175 built on Debian …" }
 */
export function probeChromium(path: string, env: NodeJS.ProcessEnv): { version?: string; error?: string } {
  try {
    const out = execFileSync(path, ["--version"], { env, encoding: "utf8", timeout: 15_000, stdio: "pipe" });
    return { version: out.trim().split("\n")[0] };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { error: (e.stderr?.trim() || e.message).split("\n")[0] };
  }
}

/** LD_LIBRARY_PATH with `dir` first. */
const withLibDir = (dir: string, current: string | undefined): string => [dir, ...(current ? [current] : [])].join(":");

/**
 * A fontconfig file that adds the package's Open Sans (Plotly's first font) to the system's fonts
 * (included when present), so labels render in Plotly's own font, and at all on a machine without fonts.
 */
function fontsConf(binDir: string, cacheDir: string, systemConf: string): string {
  const fonts = unpackArchive(binDir, cacheDir, "fonts");
  const conf = join(fonts, "pneumo-fonts.conf");
  const xml =
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
    `  <include ignore_missing="yes">${systemConf}</include>\n  <dir>${join(fonts, "fonts")}</dir>\n` +
    `  <cachedir>${join(fonts, "cache")}</cachedir>\n</fontconfig>\n`;
  if (!existsSync(conf) || readFileSync(conf, "utf8") !== xml) writeAtomic(conf, Buffer.from(xml), 0o644);
  return conf;
}

/**
 * Unpack the npm Chromium into `cacheDir` (first call ~2.5 s, then instant) and make it runnable: where
 * the system lacks libnss3/libnspr4 the package's own copies (`bin/al2023.tar.br`) go on LD_LIBRARY_PATH,
 * and the package's Open Sans (Plotly's first font) is added to the system's fonts.
 * Throws, naming the missing library, when it still cannot run.
 * @example
 * const chrome = prepareNpmChromium({ cacheDir: ".cache/chromium-153.0.0" });
 * chrome.version; // "Chromium 153.0.8010.0"
 */
export function prepareNpmChromium(opts: NpmChromiumOptions & { cacheDir: string }): RunnableChromium {
  const pkg = npmChromiumPackage();
  if (!pkg)
    throw new Error(`prepareNpmChromium: ${NPM_CHROMIUM_PACKAGE} is not installed. Fix: npm install. Received: none`);
  const { cacheDir } = opts;
  const baseEnv = opts.env ?? process.env;
  mkdirSync(cacheDir, { recursive: true });
  const path = join(cacheDir, "chromium");
  if (!existsSync(path)) writeAtomic(path, brotliDecompressSync(readFileSync(join(pkg.binDir, "chromium.br"))), 0o755);
  const env: Record<string, string> = {};
  // A user's own fontconfig setting wins.
  if (!baseEnv.FONTCONFIG_FILE && !baseEnv.FONTCONFIG_PATH) {
    env.FONTCONFIG_FILE = fontsConf(pkg.binDir, cacheDir, opts.systemFontsConf ?? "/etc/fonts/fonts.conf");
  }
  let probe = probeChromium(path, { ...baseEnv, ...env });
  if (probe.error?.includes("error while loading shared libraries")) {
    const libDir = join(unpackArchive(pkg.binDir, cacheDir, "al2023"), "lib");
    env.LD_LIBRARY_PATH = withLibDir(libDir, baseEnv.LD_LIBRARY_PATH);
    probe = probeChromium(path, { ...baseEnv, ...env });
  }
  if (probe.version) return { path, version: probe.version, env };
  throw new Error(
    `prepareNpmChromium: the npm Chromium at ${path} does not start, even with the package's NSS libraries ` +
      `on LD_LIBRARY_PATH. Fix: install Chromium (apt-get install chromium) or set PNEUMO_CHROMIUM. Received: ${probe.error}`,
  );
}
