import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readZip, writeZip } from "../../../src/lib/models/keras/zip";
import { H5PY_MISSING, PYTHON } from "./python";

const dir = mkdtempSync(join(tmpdir(), "zip-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const text = (s: string) => new TextEncoder().encode(s);

describe("zip", () => {
  it("reads back what it writes, names and bytes", () => {
    const entries = [
      { name: "config.json", data: text('{"a":1}') },
      { name: "model.weights.h5", data: new Uint8Array(5000).map((_, i) => i % 251) },
    ];
    const back = readZip(writeZip(entries));
    expect(back.map((e) => e.name)).toEqual(["config.json", "model.weights.h5"]);
    expect(back[1]!.data).toEqual(entries[1]!.data);
  });

  it("refuses a damaged entry by its CRC-32", () => {
    const bytes = writeZip([{ name: "a.txt", data: text("hello world") }]);
    bytes[30 + 5 + 2] ^= 0xff; // a byte of the stored data
    expect(() => readZip(bytes, "x.keras")).toThrow(/x\.keras: entry a\.txt fails its CRC-32 check/);
  });

  it("refuses a file that is not a zip", () => {
    expect(() => readZip(text("not a zip at all, just text of some length"), "notes.txt")).toThrow(
      /notes\.txt is not a zip archive/,
    );
  });

  it.skipIf(H5PY_MISSING !== "")("Python's zipfile reads ours, and we read Python's deflated archives", () => {
    const ours = join(dir, "ours.zip");
    writeFileSync(ours, writeZip([{ name: "a.txt", data: text("hello") }]));
    const script = `import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(z.read("a.txt").decode())
w=zipfile.ZipFile(sys.argv[2],"w",compression=zipfile.ZIP_DEFLATED); w.writestr("b.txt","xyz"*1000); w.close()`;
    const theirs = join(dir, "theirs.zip");
    expect(execFileSync(PYTHON, ["-c", script, ours, theirs], { encoding: "utf8" }).trim()).toBe("hello");
    const back = readZip(readFileSync(theirs));
    expect(new TextDecoder().decode(back[0]!.data)).toBe("xyz".repeat(1000));
  });
});
