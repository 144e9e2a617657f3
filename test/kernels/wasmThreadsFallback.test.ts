import { describe, expect, it, vi } from "vitest";
import { initBackend } from "../../src/lib/backend";

// Its own test file: vitest runs each file in a fresh process, and wasm initialises once per process.
describe("wasm threads without a writable temporary folder", () => {
  it("warns, names the folder and the fix, and runs wasm on 1 thread", async () => {
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = "/proc/pneumo-no-such-dir"; // os.tmpdir() reads TMPDIR; nothing can be created under /proc
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const info = await initBackend({ prefer: "wasm", quiet: true, wasmThreads: 2 }).finally(() => {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    });
    expect(info.tfBackend).toBe("wasm");
    expect(info.threads).toBe(1);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/wasm threads off: could not write the worker script to \/proc\/pneumo-no-such-dir .*set TMPDIR/));
    warn.mockRestore();
  });
});
