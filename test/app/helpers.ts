import { readdirSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import type { Predictor, RunningServer } from "../../src/lib/app";
import { decodeImageBytes } from "../../src/lib/data";

/** A bundled sample X-ray: its name and bytes. */
export function sampleXray(index = 0): { name: string; bytes: Buffer } {
  const dir = join("data", "sample", "chest_xray", "test", "NORMAL");
  const name = readdirSync(dir).sort()[index]!;
  return { name, bytes: readFileSync(join(dir, name)) };
}

/** A test predictor, and a switch that holds every prediction until released. */
export interface TestPredictor {
  predictor: Predictor;
  /** While true, predictions wait for `release()`. */
  hold: boolean;
  release(): void;
}

/**
 * A predictor that really decodes the upload (so bad files fail as they would with a model) and scores the mean
 * brightness, or returns `probability` when given; the model-backed page is tested in test/app/browser.test.ts.
 */
export function testPredictor(opts: { probability?: number; threshold?: number } = {}): TestPredictor {
  const threshold = opts.threshold ?? 0.5;
  const state: TestPredictor = {
    hold: false,
    release: () => {},
    predictor: {
      info: { model: "mean-brightness", run: "test", threshold, inputSize: 32, backend: "none" },
      async predictBytes(bytes, name) {
        const image = await decodeImageBytes(bytes, name, { width: 32, height: 32 });
        if (state.hold) await new Promise<void>((r) => (state.release = r));
        const probability = opts.probability ?? image.data.reduce((a, b) => a + b, 0) / image.data.length / 255;
        return { label: probability >= threshold ? "PNEUMONIA" : "NORMAL", probability, threshold };
      },
    },
  };
  return state;
}

/** POST `body` to the server's /api/predict as upload `name`; the status, the JSON answer and the time taken. */
export async function upload(to: RunningServer, body: Buffer | string, name = "x.jpeg") {
  const started = Date.now();
  const payload = typeof body === "string" ? body : new Uint8Array(body);
  const res = await fetch(`${to.url}api/predict?name=${encodeURIComponent(name)}`, { method: "POST", body: payload });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms: Date.now() - started };
}

/** What a raw connection saw: the response text (may be empty) and when the server closed it. */
export interface RawOutcome {
  response: string;
  status?: number;
  /** Milliseconds from connecting until the server ended or reset the connection, or undefined if it never did. */
  closedAfterMs?: number;
}

/**
 * Open a raw TCP connection to 127.0.0.1:`port`, write `head`, then `trickle` bytes one at a time every
 * `everyMs`, and collect what comes back until the server closes the connection or `giveUpMs` passes.
 */
export function rawClient(
  port: number,
  head: string | Buffer,
  opts: { trickle?: string; everyMs?: number; giveUpMs: number },
): Promise<RawOutcome> {
  const started = Date.now();
  const socket: Socket = connect(port, "127.0.0.1");
  let response = "";
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<RawOutcome>((resolve) => {
    const finish = (closed: boolean) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1];
      const closedAfterMs = closed ? Date.now() - started : undefined;
      resolve({ response, status: status ? Number(status) : undefined, closedAfterMs });
    };
    const giveUp = setTimeout(() => finish(false), opts.giveUpMs);
    socket.on("data", (chunk) => (response += chunk.toString("latin1")));
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
  });
  socket.write(head);
  const rest = [...(opts.trickle ?? "")];
  if (rest.length > 0) {
    timer = setInterval(() => {
      const next = rest.shift();
      if (next === undefined) clearInterval(timer);
      else if (!socket.destroyed) socket.write(next);
    }, opts.everyMs ?? 1000);
  }
  return done;
}

/** The bytes of one complete HTTP/1.1 request with the given Host header (and a body for POST). */
export function requestBytes(opts: { method?: string; path?: string; host: string; body?: Buffer }): Buffer {
  const { method = "GET", path = "/", host, body = Buffer.alloc(0) } = opts;
  const length = method === "POST" ? `Content-Length: ${body.length}\r\n` : "";
  const head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${length}Connection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}
