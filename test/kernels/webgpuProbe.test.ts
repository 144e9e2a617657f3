import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BACKEND_ENV } from "../../src/lib/backend";
import { DAWN_OPTIONS_ENV, findGpuDeviceNodes, webGpuProbeSkipReason } from "../../src/lib/kernels/webgpu";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const NO_GPU = "no GPU device (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg)";
const base = { auto: true, platform: "linux" as const, deviceNodes: [] as string[], dawnOptions: [] as string[] };
const dawnInstalled = ((): boolean => {
  try {
    return Boolean(createRequire(import.meta.url).resolve("webgpu"));
  } catch {
    return false;
  }
})();

describe("webGpuProbeSkipReason: load Dawn only where WebGPU can matter", () => {
  it("auto on Linux without a GPU device node: no probe, with the reason", () => {
    expect(webGpuProbeSkipReason(base)).toBe(NO_GPU);
  });

  it("probes when webgpu is asked for, a device node exists, Dawn options are set, or off Linux", () => {
    expect(webGpuProbeSkipReason({ ...base, auto: false })).toBeUndefined();
    expect(webGpuProbeSkipReason({ ...base, deviceNodes: ["/dev/dri/renderD128"] })).toBeUndefined();
    expect(webGpuProbeSkipReason({ ...base, dawnOptions: ["backend=opengles"] })).toBeUndefined();
    expect(webGpuProbeSkipReason({ ...base, platform: "darwin" })).toBeUndefined();
  });
});

describe("findGpuDeviceNodes", () => {
  it("matches render nodes and NVIDIA nodes by prefix, and the exact WSL node", () => {
    const tree: Record<string, string[]> = {
      "/dev/dri": ["card0", "renderD128"],
      "/dev": ["nvidia0", "nvidiactl", "null", "dxg", "dxgkrnl"],
    };
    const list = (dir: string) => {
      if (!tree[dir]) throw new Error(`ENOENT: ${dir}`);
      return tree[dir];
    };
    expect(findGpuDeviceNodes(list)).toEqual(["/dev/dri/renderD128", "/dev/nvidia0", "/dev/nvidiactl", "/dev/dxg"]);
    expect(findGpuDeviceNodes(() => ["null", "tty"])).toEqual([]);
  });
});

const quietHere = dawnInstalled && process.platform === "linux" && findGpuDeviceNodes().length === 0;
describe.skipIf(!quietHere)(
  "initBackend on a machine without a GPU (needs Linux, the webgpu package, no /dev/dri or /dev/nvidia*)",
  () => {
    it("prints only the backend line: Dawn is not loaded, so no Mesa or Vulkan warnings", () => {
      const env = { ...process.env, [BACKEND_ENV]: "auto", [DAWN_OPTIONS_ENV]: "", XDG_RUNTIME_DIR: "" };
      const run = spawnSync(process.execPath, ["--import", "tsx", "test/kernels/fixtures/initBackendChild.ts"], {
        cwd: ROOT,
        env,
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toBe("");
      expect(run.stdout.trim().split("\n")).toEqual([
        expect.stringMatching(
          new RegExp(`^\\[pneumo-lab\\] backend: .*tfjs-backend-webgpu: ${NO_GPU.replace(/[()*/]/g, "\\$&")}`),
        ),
      ]);
    }, 90_000);
  },
);
