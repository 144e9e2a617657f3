/**
 * Kernel specs and connection files, without Jupyter: write the tslab kernel spec that `tslab install` would write,
 * read a spec back, pick free ports and write the connection file a kernel reads at start.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { newSessionKey } from "./protocol";

/** A kernel spec (`kernels/<name>/kernel.json`), the fields this runner reads. */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  /** "signal" (default: SIGINT to the kernel process) or "message" (interrupt_request on control). */
  interrupt_mode?: "signal" | "message";
  env?: Record<string, string>;
}

/** What a kernel needs to bind its sockets (the connection file). */
export interface ConnectionInfo {
  transport: "tcp";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: "hmac-sha256";
  kernel_name: string;
}

/** The spec `tslab install` writes for the TypeScript (`tslab`) or JavaScript (`jslab`) kernel. */
function tslabSpec(binary: string, js: boolean): KernelSpec {
  // tslab's python/install.py: config path and {connection_file} are separate arguments (tslab issue #36).
  const argv = [binary, "kernel", "--config-path", "{connection_file}", ...(js ? ["--js"] : [])];
  return { argv, display_name: js ? "JavaScript" : "TypeScript", language: js ? "javascript" : "typescript" };
}

/**
 * Register tslab's two kernels (tslab, jslab) under `<prefix>/share/jupyter/kernels/`, exactly the kernel.json files
 * `tslab install --prefix` writes, but without needing Python's jupyter_client (which `tslab install` imports).
 * Returns the folder to put on `JUPYTER_PATH`.
 * @example
 * writeTslabKernelSpecs({ prefix: ".jupyter", binary: "node_modules/.bin/tslab" }); // ".jupyter/share/jupyter"
 */
export function writeTslabKernelSpecs(opts: { prefix: string; binary: string }): string {
  const jupyterPath = join(opts.prefix, "share", "jupyter");
  for (const [name, js] of [
    ["tslab", false],
    ["jslab", true],
  ] as const) {
    const dir = join(jupyterPath, "kernels", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "kernel.json"), JSON.stringify(tslabSpec(opts.binary, js), null, 1) + "\n");
  }
  return jupyterPath;
}

/**
 * Read `kernels/<name>/kernel.json` from the first folder of `jupyterPath` (a `JUPYTER_PATH`-style list) that has it.
 * @example
 * readKernelSpec("tslab", ".jupyter/share/jupyter").argv[0]; // ".../node_modules/.bin/tslab"
 */
export function readKernelSpec(name: string, jupyterPath: string): KernelSpec {
  const dirs = jupyterPath.split(":").filter(Boolean);
  const file = dirs.map((d) => join(d, "kernels", name, "kernel.json")).find((f) => existsSync(f));
  if (!file) {
    throw new Error(
      `readKernelSpec: no kernel spec "${name}"; run \`npm run kernel\` to register tslab. ` +
        `Received: JUPYTER_PATH=${jupyterPath}`,
    );
  }
  const spec = JSON.parse(readFileSync(file, "utf8")) as KernelSpec;
  if (!Array.isArray(spec.argv) || spec.argv.length === 0) {
    const argv = JSON.stringify(spec.argv);
    throw new Error(`readKernelSpec: ${file} has no argv to start the kernel with. Received: ${argv}`);
  }
  return spec;
}

/**
 * `count` TCP ports free on `ip` now (each bound to port 0 at once, then released), the way jupyter_client picks them.
 * @example
 * const [shell, iopub] = await freePorts(2);
 */
export async function freePorts(count: number, ip = "127.0.0.1"): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, ip, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/**
 * Fresh connection info (free ports on localhost, random key) written to `path`, readable by the owner only: the key
 * lets anyone who reads it run code in the kernel.
 * @example
 * const info = await writeConnectionFile("/tmp/kernel-1.json", "tslab");
 */
export async function writeConnectionFile(path: string, kernelName: string): Promise<ConnectionInfo> {
  const ip = "127.0.0.1";
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freePorts(5, ip);
  const info: ConnectionInfo = {
    transport: "tcp",
    ip,
    shell_port,
    iopub_port,
    stdin_port,
    control_port,
    hb_port,
    key: newSessionKey(),
    signature_scheme: "hmac-sha256",
    kernel_name: kernelName,
  };
  writeFileSync(path, JSON.stringify(info, null, 1) + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
  return info;
}
