/**
 * A kernel process and the client end of its sockets, as nbclient/jupyter_client drive one: start the kernel from its
 * spec with a fresh connection file, talk on shell and control (DEALER) and listen on iopub (SUB), send one request
 * at a time and wait for both its reply and its `status: idle`, interrupt on a time limit, and shut it down (request,
 * then SIGTERM and SIGKILL of its process group) so no process outlives the run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zmq from "zeromq";
import { writeConnectionFile, type ConnectionInfo, type KernelSpec } from "./kernelspec";
import { decodeMessage, encodeMessage, newMessage, type KernelMessage, type SigningKey } from "./protocol";

/** Options of {@link KernelClient.start}. */
export interface StartKernelOptions {
  spec: KernelSpec;
  /** Kernel name written in the connection file. */
  name: string;
  /** Working folder of the kernel (nbclient uses the notebook's folder). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Limit for the kernel to answer kernel_info on shell and iopub; default 60 s (tslab loads a compiler first). */
  startTimeoutMs?: number;
}

/** Options of {@link KernelClient.request}. */
export interface RequestOptions {
  msgType: string;
  content: Record<string, unknown>;
  timeoutMs: number;
  /** Default "shell". */
  channel?: "shell" | "control";
  /** Every iopub message the request causes, status included. */
  onIopub?: (msg: KernelMessage) => void;
  /** Called once the limit passes (the caller interrupts here). */
  onTimeout?: () => unknown;
  /** How long to keep waiting after onTimeout; default 0. */
  graceMs?: number;
}

/** How a request ended: its reply (null when none came), whether iopub said idle, and why it stopped waiting. */
export interface RequestOutcome {
  reply: KernelMessage | null;
  idle: boolean;
  /** "done": reply and idle; "timeout": the limit passed first; "exited": the kernel process ended. */
  end: "done" | "timeout" | "exited";
}

interface Pending {
  onIopub: (msg: KernelMessage) => void;
  reply: KernelMessage | null;
  idle: boolean;
  settle: () => void;
}

/** Kernels of this process still running: killed if the process exits without shutting them down. */
const live = new Set<KernelClient>();
let exitHookInstalled = false;

/** How many characters of the kernel's own stdout/stderr are kept, for the message when it dies. */
const LOG_TAIL = 8000;
/** How long a kernel that answered shutdown_request may take to exit by itself before SIGTERM. */
export const EXIT_AFTER_REPLY_MS = 1000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A running kernel. Create with {@link KernelClient.start}; always {@link KernelClient.shutdown}. */
export class KernelClient {
  /** kernel_info_reply content (language_info for the notebook's metadata). */
  info: Record<string, unknown> = {};
  /** Messages dropped for a bad signature (should stay 0). */
  dropped = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly session = randomUUID();
  private readonly signing: SigningKey;
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  private logTail = "";
  private exitCode: number | string | null = null;
  private readonly exited: Promise<void>;
  private closed = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly conn: ConnectionInfo,
    private readonly connectionFile: string,
    private readonly spec: KernelSpec,
  ) {
    this.signing = { key: conn.key, signatureScheme: conn.signature_scheme };
    const keep = (chunk: Buffer) => (this.logTail = (this.logTail + chunk.toString()).slice(-LOG_TAIL));
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.exited = new Promise((resolve) => {
      const end = (status: number | string) => {
        if (this.exitCode !== null) return;
        this.exitCode = status;
        for (const p of this.pending.values()) p.settle();
        resolve();
      };
      child.once("exit", (code, signal) => end(code ?? signal ?? "unknown"));
      // A command that cannot be started emits "error" and never "exit".
      child.once("error", (err) => {
        this.logTail += `\ncould not start ${spec.argv[0]}: ${err.message}`;
        if (child.pid === undefined) end("not started");
      });
    });
  }

  /**
   * Start a kernel and wait until it answers on shell and publishes on iopub.
   * @example
   * const kernel = await KernelClient.start({ spec: readKernelSpec("tslab", jupyterPath), name: "tslab", cwd, env });
   */
  static async start(opts: StartKernelOptions): Promise<KernelClient> {
    const connectionFile = join(tmpdir(), `pneumo-kernel-${randomUUID()}.json`);
    const conn = await writeConnectionFile(connectionFile, opts.name);
    const [cmd, ...args] = opts.spec.argv.map((a) => a.replace("{connection_file}", connectionFile));
    // Own process group, so shutdown can end whatever the kernel started (a browser for figure export).
    const env = { ...opts.env, ...opts.spec.env };
    const child = spawn(cmd, args, { cwd: opts.cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const kernel = new KernelClient(child, conn, connectionFile, opts.spec);
    live.add(kernel);
    installExitHook();
    try {
      await kernel.connect();
      await kernel.waitForReady(opts.startTimeoutMs ?? 60_000);
    } catch (err) {
      await kernel.shutdown(1000);
      throw err;
    }
    return kernel;
  }

  /** Process id of the kernel (leader of its process group). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The kernel's exit code or signal once it has ended, else null. */
  get exitStatus(): number | string | null {
    return this.exitCode;
  }

  /** The last lines the kernel process wrote outside cells (native warnings, crashes). */
  get log(): string {
    return this.logTail;
  }

  private async connect(): Promise<void> {
    const url = (port: number) => `${this.conn.transport}://${this.conn.ip}:${port}`;
    this.shell.connect(url(this.conn.shell_port));
    this.control.connect(url(this.conn.control_port));
    this.iopub.connect(url(this.conn.iopub_port));
    this.iopub.subscribe();
    for (const sock of [this.shell, this.control]) void this.pump(sock, "reply");
    void this.pump(this.iopub, "iopub");
  }

  /** Read a socket until it closes, routing each message to the request it answers. */
  private async pump(sock: zmq.Dealer | zmq.Subscriber, channel: "reply" | "iopub"): Promise<void> {
    try {
      for await (const frames of sock) this.route(channel, frames as Buffer[]);
    } catch (err) {
      if (!this.closed) this.logTail += `\n${channel} socket: ${(err as Error).message}`;
    }
  }

  private route(channel: "reply" | "iopub", frames: Buffer[]): void {
    let msg: KernelMessage;
    try {
      msg = decodeMessage(this.signing, frames);
    } catch {
      this.dropped += 1;
      return;
    }
    const pending = this.pending.get(msg.parent_header.msg_id ?? "");
    if (!pending) return; // output after its request went idle (tslab's late writes), or for another client
    if (channel === "reply") pending.reply = msg;
    else {
      pending.onIopub(msg);
      if (msg.header.msg_type === "status" && msg.content.execution_state === "idle") pending.idle = true;
    }
    if (pending.reply && pending.idle) pending.settle();
  }

  /**
   * Send a request on shell or control and wait for its reply and its idle status. Iopub messages it causes go to
   * `onIopub` as they arrive. After `timeoutMs`, `onTimeout` runs (to interrupt) and the wait goes on for `graceMs`
   * more, so what the interrupted request still sends is kept.
   * @example
   * const { reply } = await kernel.request({ msgType: "execute_request", content: { code }, timeoutMs: 60_000 });
   */
  async request(opts: RequestOptions): Promise<RequestOutcome> {
    const msg = newMessage({ msgType: opts.msgType, session: this.session, content: opts.content });
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const state: Pending = { onIopub: opts.onIopub ?? (() => {}), reply: null, idle: false, settle: () => {} };
    const settled = new Promise<void>((resolve) => {
      state.settle = resolve;
      timer = setTimeout(() => {
        timedOut = true;
        void opts.onTimeout?.();
        timer = setTimeout(resolve, opts.graceMs ?? 0);
      }, opts.timeoutMs);
    });
    this.pending.set(msg.header.msg_id, state);
    try {
      if (this.exitCode === null) {
        await (opts.channel === "control" ? this.control : this.shell).send(encodeMessage(this.signing, msg));
        await settled;
      }
      const answered = state.reply !== null && state.idle;
      const end = timedOut ? "timeout" : answered || this.exitCode === null ? "done" : "exited";
      return { reply: state.reply, idle: state.idle, end };
    } finally {
      clearTimeout(timer);
      this.pending.delete(msg.header.msg_id);
    }
  }

  /** Ask kernel_info until one answer comes on shell and iopub: a SUB socket misses what is sent before it joins. */
  private async waitForReady(limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
      const out = await this.request({ msgType: "kernel_info_request", content: {}, timeoutMs: 1000 });
      if (out.end === "exited") break;
      if (out.reply && out.idle) {
        this.info = out.reply.content;
        return;
      }
    }
    const silent = `no answer on shell and iopub within ${limitMs / 1000} s`;
    const why = this.exitCode !== null ? `it exited (${this.exitCode})` : silent;
    const log = this.logTail.trim() || "(none)";
    const name = this.conn.kernel_name;
    throw new Error(`KernelClient.start: kernel ${name} did not start: ${why}. Kernel output:\n${log}`);
  }

  /**
   * Interrupt the running cell: SIGINT to the kernel (interrupt_mode "signal", tslab's) or an interrupt_request.
   * @example
   * kernel.interrupt();
   */
  async interrupt(): Promise<void> {
    if (this.exitCode !== null) return;
    if (this.spec.interrupt_mode === "message") {
      await this.request({ msgType: "interrupt_request", content: {}, channel: "control", timeoutMs: 5000 });
    } else {
      this.child.kill("SIGINT");
    }
  }

  /**
   * Shut the kernel down: shutdown_request on control; a kernel that acknowledged gets {@link EXIT_AFTER_REPLY_MS} to
   * exit, one that did not gets `graceMs`; then SIGTERM and, `graceMs` later, SIGKILL of its process group. Closes
   * the sockets and removes the connection file. Safe to call twice.
   * @example
   * await kernel.shutdown();
   */
  async shutdown(graceMs = 5000): Promise<void> {
    let acknowledged = false;
    if (this.exitCode === null && !this.closed) {
      const content = { restart: false };
      const out = await this.request({ msgType: "shutdown_request", content, channel: "control", timeoutMs: graceMs });
      acknowledged = out.reply !== null;
    }
    // tslab closes its sockets on shutdown but keeps running while something holds it (a browser for figure export);
    // on SIGTERM the export module removes the browser's profile folder and the kernel ends by the signal (the browser
    // quits when its pipe closes).
    await this.waitForExit(acknowledged ? EXIT_AFTER_REPLY_MS : graceMs);
    if (this.exitCode === null) killGroup(this.child, "SIGTERM");
    await this.waitForExit(graceMs);
    if (this.exitCode === null) killGroup(this.child, "SIGKILL");
    await this.waitForExit(graceMs);
    // The group may outlive its leader (a browser the kernel started); the leader's exit does not end it.
    killGroup(this.child, "SIGKILL");
    this.closed = true;
    for (const sock of [this.shell, this.control, this.iopub]) sock.close();
    rmSync(this.connectionFile, { force: true });
    live.delete(this);
  }

  /** Wait until the kernel has exited, at most `ms`. */
  private async waitForExit(ms: number): Promise<void> {
    if (this.exitCode === null) await Promise.race([this.exited, sleep(ms)]);
  }

  /** Kill the process group now (synchronous; for the process exit hook). */
  killNow(): void {
    killGroup(this.child, "SIGKILL");
    rmSync(this.connectionFile, { force: true });
  }
}

/** Signal the child's process group; ignores a group that is already gone. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: nothing left in the group
  }
}

/** On exit of this process, kill kernels that were not shut down (a crash, Ctrl+C in the caller). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const kernel of live) kernel.killNow();
  });
}
