import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRunDir, packageVersions, readRunManifest, writeRunManifest } from "../../src/lib/runs";

describe("run manifests", () => {
  it("records package versions that match the installed package.json files", async () => {
    const versions = packageVersions();
    const tfjs = JSON.parse(await readFile("node_modules/@tensorflow/tfjs/package.json", "utf8")).version;
    expect(versions["@tensorflow/tfjs"]).toBe(tfjs);
    expect(versions.node).toBe(process.versions.node);
    // sharp's "exports" hide ./package.json: the version is found by walking up from its entry
    const sharp = JSON.parse(await readFile("node_modules/sharp/package.json", "utf8")).version;
    expect(versions.sharp).toBe(sharp);
    // optional native packages are not installed on this machine: absent, not "undefined"
    expect(Object.values(versions).every((v) => typeof v === "string" && v.length > 0)).toBe(true);
  });

  it("writes, merges and reads back a manifest", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pl-run-"));
    await writeRunManifest(dir, { kind: "train", model: "cnn4", settings: { epochs: 2 }, metrics: { val_auc: 0.9 } });
    await writeRunManifest(dir, { kind: "train", model: "cnn4", metrics: { test_auc: 0.8 } });
    const m = await readRunManifest(dir);
    expect(m.settings).toEqual({ epochs: 2 });
    expect(m.metrics).toEqual({ val_auc: 0.9, test_auc: 0.8 });
    expect(m.versions["@tensorflow/tfjs"]).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("names the folder when the manifest is missing or broken", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pl-run-"));
    await expect(readRunManifest(dir)).rejects.toThrow(/no manifest\.json in .*npm run train/);
    await writeFile(join(dir, "manifest.json"), "{not json");
    await expect(readRunManifest(dir)).rejects.toThrow(/not valid JSON/);
  });

  it("creates run folders and rejects odd names", async () => {
    const base = await mkdtemp(join(tmpdir(), "pl-runs-"));
    const dir = await createRunDir({ name: "cnn-quick", root: base });
    expect(dir).toBe(join(base, "cnn-quick"));
    await expect(createRunDir({ name: "bad name!" })).rejects.toThrow(/Received: "bad name!"/);
  });
});
