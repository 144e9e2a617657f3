import { describe, expect, it } from "vitest";
import type { JupyterInfo } from "../../scripts/jupyter";
import { flagValue, resolveCellTimeout, resolveRunner, runnerNeedsJupyter } from "../../scripts/nbrun/cli";

const PYTHON = "/usr/bin/python3";
const jupyter = (hasNbclient: boolean): JupyterInfo => ({
  python: PYTHON,
  hasLab: false,
  hasNotebook: true,
  hasNbclient,
});
const NBCONVERT_ENV = { PNEUMO_NOTEBOOK_RUNNER: "nbconvert" };

describe("resolveRunner", () => {
  it("uses the Node runner unless nbconvert is asked for by flag or env PNEUMO_NOTEBOOK_RUNNER", () => {
    expect(resolveRunner({ env: {}, jupyter: jupyter(true) })).toEqual({ runner: "node" });
    const nbconvert = { runner: "nbconvert", python: PYTHON };
    expect(resolveRunner({ env: NBCONVERT_ENV, jupyter: jupyter(true) })).toEqual(nbconvert);
    expect(resolveRunner({ requested: "node", env: NBCONVERT_ENV, jupyter: null })).toEqual({ runner: "node" });
  });

  it("names a bad runner, and a missing Jupyter or nbclient for nbconvert", () => {
    const resolve = (requested: string, found: JupyterInfo | null) => () =>
      resolveRunner({ requested, env: {}, jupyter: found });
    expect(resolve("papermill", null)).toThrow(/"node" or "nbconvert".*Received: "papermill"/);
    expect(resolve("nbconvert", null)).toThrow(/needs Jupyter with nbclient.*Received: no Jupyter\nJupyter was not/);
    expect(resolve("nbconvert", jupyter(false))).toThrow(/Received: Jupyter at \/usr\/bin\/python3 has no nbclient/);
  });

  it("looks for Jupyter (a Python start) only when nbconvert is asked for", () => {
    expect(runnerNeedsJupyter(["--only", "01"], {})).toBe(false);
    expect(runnerNeedsJupyter(["--runner=nbconvert"], {})).toBe(true);
    expect(runnerNeedsJupyter([], { PNEUMO_NOTEBOOK_RUNNER: "nbconvert" })).toBe(true);
  });
});

describe("resolveCellTimeout", () => {
  it("takes the flag, else env PNEUMO_CELL_TIMEOUT, else 900 s, and names a bad value", () => {
    expect(resolveCellTimeout("30", { PNEUMO_CELL_TIMEOUT: "60" })).toBe(30);
    expect(resolveCellTimeout(undefined, { PNEUMO_CELL_TIMEOUT: "60" })).toBe(60);
    expect(resolveCellTimeout(undefined, {})).toBe(900);
    expect(() => resolveCellTimeout("ten", {})).toThrow(/positive number of seconds.*Received: "ten"/);
    expect(() => resolveCellTimeout(undefined, { PNEUMO_CELL_TIMEOUT: "0" })).toThrow(/TIMEOUT\)\. Received: "0"/);
  });
});

describe("flagValue", () => {
  it("reads --name value and --name=value, and names a flag without a value", () => {
    expect(flagValue(["--only", "01", "--timeout=5"], "only")).toBe("01");
    expect(flagValue(["--only", "01", "--timeout=5"], "timeout")).toBe("5");
    expect(flagValue(["--only", "01"], "runner")).toBeUndefined();
    expect(() => flagValue(["--only", "--timeout", "5"], "only")).toThrow(/--only needs a value/);
  });
});
