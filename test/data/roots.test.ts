import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findProjectRoot, resolveDataRoot } from "../../src/lib/data/roots";
import { tempDir } from "./helpers";

describe("resolveDataRoot", () => {
  const project = tempDir();
  mkdirSync(join(project, "data", "sample", "chest_xray"), { recursive: true });

  it("follows option → env → data/chest_xray → ../shared → sample", () => {
    const other = tempDir();
    expect(resolveDataRoot({ projectRoot: project, env: {} })).toEqual({ root: join(project, "data", "sample", "chest_xray"), source: "sample" });
    expect(resolveDataRoot({ projectRoot: project, env: { PNEUMO_DATA: other } })).toEqual({ root: other, source: "env" });
    expect(resolveDataRoot({ projectRoot: project, env: { PNEUMO_DATA: "/nope" }, dataDir: other })).toEqual({ root: other, source: "option" });
    mkdirSync(join(project, "data", "chest_xray"));
    expect(resolveDataRoot({ projectRoot: project, env: {} }).source).toBe("project");
  });

  it("never replaces a missing explicit folder by the sample", () => {
    expect(() => resolveDataRoot({ projectRoot: project, env: { PNEUMO_DATA: "/no/such/dir" } })).toThrow(
      /env PNEUMO_DATA names a data folder that does not exist: \/no\/such\/dir/,
    );
  });

  it("finds the project root from a subfolder (notebooks run in notebooks/)", () => {
    expect(findProjectRoot(join(process.cwd(), "notebooks"))).toBe(process.cwd());
  });
});
