import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findProjectRoot } from "../../src/lib/data/roots";
import { findJupyter } from "../../scripts/jupyter";

const ROOT = findProjectRoot();
const jupyter = findJupyter();

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Poll the server until it answers (Jupyter takes a few seconds to start on a busy machine). */
async function waitForServer(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Jupyter did not answer at ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

// `npm run lab` as users start it (the project's Jupyter config, the project root served), driven over HTTP.
describe.skipIf(!jupyter?.hasNotebook && !jupyter?.hasLab)("npm run lab", () => {
  const token = randomBytes(12).toString("hex");
  const name = `save-test-${randomBytes(4).toString("hex")}.ipynb`;
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.pid) process.kill(-child.pid, "SIGTERM"); // its own process group: Jupyter and its kernels
    rmSync(join(ROOT, "notebooks", name), { force: true });
  });

  it("serves the project root, opens on notebooks/, and saves notebooks/ without outputs", async () => {
    const port = await freePort();
    const args = [
      "--import",
      "tsx",
      "scripts/lab.ts",
      "--no-browser",
      `--port=${port}`,
      `--NotebookApp.token=${token}`,
      `--ServerApp.token=${token}`,
    ];
    child = spawn(process.execPath, args, { cwd: ROOT, detached: true, stdio: "ignore" });
    const base = `http://127.0.0.1:${port}`;
    const api = (path: string) => `${base}/api/contents/${path}?token=${token}`;
    await waitForServer(api(""), 90_000);
    // the root is the project: outputs/ and notebooks/ are both reachable
    const rootListing = (await (await fetch(api(""))).json()) as { content: { name: string }[] };
    expect(rootListing.content.map((e) => e.name)).toEqual(expect.arrayContaining(["notebooks", "outputs"]));
    const landing = await fetch(`${base}/?token=${token}`, { redirect: "manual" });
    expect(landing.headers.get("location") ?? "").toMatch(/\/tree\/notebooks(\?|$)/);
    // a save with outputs, as File > Save sends it after a run
    const notebook = {
      cells: [
        {
          cell_type: "code",
          source: "1 + 1",
          metadata: {},
          execution_count: 3,
          outputs: [{ output_type: "execute_result", execution_count: 3, data: { "text/plain": "2" }, metadata: {} }],
        },
      ],
      metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const put = await fetch(api(`notebooks/${name}`), {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ type: "notebook", content: notebook }),
    });
    expect(put.status).toBeLessThan(300);
    const onDisk = JSON.parse(readFileSync(join(ROOT, "notebooks", name), "utf8")) as typeof notebook;
    expect([onDisk.cells[0].source].flat().join("")).toBe("1 + 1"); // nbformat may split sources into lines
    expect(onDisk.cells[0].outputs).toEqual([]);
    expect(onDisk.cells[0].execution_count).toBeNull();
    expect(existsSync(join(ROOT, ".jupyter", "config", "jupyter_notebook_config.py"))).toBe(true);
  }, 150_000);
});
