import { mkdirSync, readdirSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { overlayNames } from "../../src/lib/workflows/overlayNames";
import { tempDir } from "../data/helpers";
import { runScript } from "../scripts/runScript";
import { writeTinyRun } from "./tinyRun";

describe("overlayNames", () => {
  it("keeps the plain name when it is unique", () => {
    expect(overlayNames(["a/x.jpeg", "b/y.png"])).toEqual(["x-gradcam.png", "y-gradcam.png"]);
  });

  it("puts the parent folder in front when two inputs share a name", () => {
    expect(overlayNames(["a/x.jpeg", "b/x.jpeg", "c/y.png"])).toEqual([
      "a-x-gradcam.png",
      "b-x-gradcam.png",
      "y-gradcam.png",
    ]);
  });

  it("adds a number where the parent folder does not tell them apart, or a file is given twice", () => {
    expect(overlayNames(["p/NORMAL/x.jpeg", "q/NORMAL/x.jpeg", "x.jpeg"])).toEqual([
      "NORMAL-x-gradcam.png",
      "NORMAL-x-2-gradcam.png",
      "x-gradcam.png",
    ]);
    expect(overlayNames(["a/x.jpeg", "a/x.jpeg"])).toEqual(["a-x-gradcam.png", "a-x-2-gradcam.png"]);
    expect(overlayNames(["x.jpeg", "x.png"])).toEqual(["x-gradcam.png", "x-2-gradcam.png"]);
  });

  it("never repeats a name, also not one that differs only in case", () => {
    const names = overlayNames(["a/X.jpeg", "a/x.jpeg", "b/x.jpeg", "b/x.jpeg", "x-2.jpeg"]);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
  });
});

describe("predict --gradcam DIR a/x.jpeg b/x.jpeg", () => {
  let runDir = "";
  let images: string[] = [];
  beforeAll(async () => {
    runDir = await writeTinyRun({ threshold: 0.5 });
    const src = join("data", "sample", "chest_xray", "test");
    const root = tempDir();
    images = [join(root, "a", "x.jpeg"), join(root, "b", "x.jpeg")];
    for (const [i, image] of images.entries()) {
      mkdirSync(join(image, ".."), { recursive: true });
      const label = i === 0 ? "NORMAL" : "PNEUMONIA";
      await copyFile(join(src, label, readdirSync(join(src, label)).sort()[0]!), image);
    }
  });

  it("writes one overlay per input, none overwritten", async () => {
    const out = join(tempDir(), "cams");
    const { code, stdout } = await runScript("scripts/cli.ts", [
      "predict",
      ...images,
      "--run",
      runDir,
      "--gradcam",
      out,
    ]);
    expect(code).toBe(0);
    const written = stdout
      .split("\n")
      .filter((l) => l.includes("gradcam="))
      .map((l) => l.split("gradcam=")[1]);
    expect(written).toEqual([join(out, "a-x-gradcam.png"), join(out, "b-x-gradcam.png")]);
    expect(readdirSync(out).sort()).toEqual(["a-x-gradcam.png", "b-x-gradcam.png"]);
  }, 120_000);
});
