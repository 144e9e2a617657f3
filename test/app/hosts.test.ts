import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeLogValue, isAllowedHost, startServer, type RunningServer } from "../../src/lib/app";
import { rawClient, requestBytes, sampleXray, testPredictor, upload } from "./helpers";

// Issue 17, item 19: DNS rebinding (a page on evil.example whose name resolves to 127.0.0.1 sends Host:
// evil.example) and forged server-log lines through the upload name.
const lines: string[] = [];
let server: RunningServer;
let port: number;

beforeAll(async () => {
  const { predictor } = testPredictor();
  server = await startServer({ predictor, port: 0, log: (line) => lines.push(line) });
  port = (server.server.address() as AddressInfo).port;
});
afterAll(() => server.close());

// One GET / with the given Host header, over a raw connection (fetch does not let a page set Host).
async function statusFor(host: string, path = "/"): Promise<{ status?: number; response: string }> {
  const { status, response } = await rawClient(port, requestBytes({ host, path }), { giveUpMs: 3000 });
  return { status, response };
}

describe("Host header check (DNS rebinding)", () => {
  it("answers 421 to a foreign Host, with a message naming it", async () => {
    const foreign = [`evil.example:${port}`, "evil.example", `127.0.0.1.evil.example:${port}`, `localhost:${port + 1}`];
    for (const host of foreign) {
      const { status, response } = await statusFor(host);
      expect(status, host).toBe(421);
      expect(response).toContain("not served under the name");
    }
    expect((await statusFor(`evil.example:${port}`, "/api/info")).status).toBe(421);
  });

  it("serves the bound names, with the port or without", async () => {
    for (const host of [`127.0.0.1:${port}`, "127.0.0.1", `localhost:${port}`, "LOCALHOST", `[::1]:${port}`, "[::1]"]) {
      expect((await statusFor(host)).status, host).toBe(200);
    }
  });

  it("accepts the --host given and, for a wildcard bind, IP literals only", () => {
    const lan = { host: "192.168.1.5", port: 8080 };
    expect(isAllowedHost("192.168.1.5:8080", lan)).toBe(true);
    expect(isAllowedHost("pneumo.lan:8080", lan)).toBe(false);
    expect(isAllowedHost("pneumo.lan:8080", { ...lan, allowedHosts: ["pneumo.lan"] })).toBe(true);
    expect(isAllowedHost("[fe80::1]:8080", { host: "fe80::1", port: 8080 })).toBe(true);
    const any = { host: "0.0.0.0", port: 8080 };
    expect(isAllowedHost("10.0.0.7:8080", any)).toBe(true);
    expect(isAllowedHost("attacker.example:8080", any)).toBe(false);
    expect(isAllowedHost(undefined, any)).toBe(false);
  });
});

describe("server log", () => {
  it("escapes control characters in logged values, so an upload name cannot forge log lines", async () => {
    const forged = "x.jpeg\n[serve] forged.jpeg: PNEUMONIA p=0.9999 threshold=0.500\r\u001b[2J";
    expect((await upload(server, sampleXray().bytes, forged)).status).toBe(200);
    const logged = lines.filter((l) => l.includes("x.jpeg"));
    expect(logged).toHaveLength(1);
    expect(logged[0]).not.toMatch(/[\n\r\u001b]/);
    expect(logged[0]).toContain(String.raw`x.jpeg\n[serve] forged.jpeg`);
    expect(
      lines
        .join("\n")
        .split("\n")
        .filter((l) => l.startsWith("[serve] forged")),
    ).toEqual([]);
  });

  it("escapeLogValue writes newlines, carriage returns and other controls as escapes", () => {
    expect(escapeLogValue("a\nb\rc\td\u0000e\u007f\u2028f")).toBe(String.raw`a\nb\rc\td\x00e\x7f\u2028f`);
    expect(escapeLogValue(String.raw`a\nb` + "\\")).toBe(String.raw`a\\nb\\`); // a literal backslash-n stays apart
    expect(escapeLogValue("IM-0001-0001.jpeg")).toBe("IM-0001-0001.jpeg");
  });
});
