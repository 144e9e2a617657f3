/** Run a project script with tsx as a user would, for tests of the command line. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A finished script: exit code, stdout, and stderr lines (empty ones and npm's own config warnings left out). */
export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string[];
}

/**
 * `npx tsx <script> <args…>`; resolves (never rejects) with the exit code and output.
 * @example
 * const { code, stderr } = await runScript("scripts/split.ts", ["--data", "/nonexistent"]);
 */
export async function runScript(script: string, args: string[], timeout = 120_000): Promise<ScriptResult> {
  let result: { code: number; stdout: string; stderr: string };
  try {
    const { stdout, stderr } = await run("npx", ["tsx", script, ...args], { timeout });
    result = { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    result = { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
  const stderr = result.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("npm warn"));
  return { code: result.code, stdout: result.stdout, stderr };
}
