import { describe, expect, it } from "vitest";
import type { JupyterInfo } from "../../scripts/jupyter";
import { flagValue, resolveCellTimeout, resolveRunner, runnerNeedsJupyter } from "../../scripts/nbrun/cli";

const jupyter = (hasNbclient: boolean): JupyterInfo => ({ python: "/usr/bin/python3", hasLab: false, hasNotebook: true, hasNbclient });

describe("resolveRunner", () => {
  it("uses the Node runner unless nbconvert is asked for by flag or env PNEUMO_NOTEBOOK_RUNNER", () => {
    expect(resolveRunner({ env: {}, jupyter: jupyter(true) })).toEqual({ runner: "node" });
    expect(resolveRunner({ env: { PNEUMO_NOTEBOOK_RUNNER: "nbconvert" }, jupyter: jupyter(true) })).toEqual({ runner: "nbconvert", python: "/usr/bin/python3" });
    expect(resolveRunner({ requested: "node", env: { PNEUMO_NOTEBOOK_RUNNER: "nbconvert" }, jupyter: null })).toEqual({ runner: "node" });
  });

  it("names a bad runner, and a missing Jupyter or nbclient for nbconvert", () => {
    expect(() => resolveRunner({ requested: "papermill", env: {}, jupyter: null })).toThrow(/"node" or "nbconvert".*Received: "papermill"/);
    expect(() => resolveRunner({ requested: "nbconvert", env: {}, jupyter: null })).toThrow(/needs Jupyter with nbclient.*Received: no Jupyter\nJupyter was not found/);
    expect(() => resolveRunner({ requested: "nbconvert", env: {}, jupyter: jupyter(false) })).toThrow(/Received: Jupyter at \/usr\/bin\/python3 has no nbclient/);
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
    expect(() => resolveCellTimeout(undefined, { PNEUMO_CELL_TIMEOUT: "0" })).toThrow(/PNEUMO_CELL_TIMEOUT\)\. Received: "0"/);
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
