/**
 * The Jupyter messaging protocol (v5.3) on the wire: message headers, HMAC-SHA256 signatures and the multipart
 * frames `[identities…, "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers…]`.
 * See https://jupyter-client.readthedocs.io/en/latest/messaging.html#the-wire-protocol
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";

/** Protocol version written in every header. */
export const PROTOCOL_VERSION = "5.3";
/** Separates the ZeroMQ routing prefix from the signed message. */
export const DELIMITER = "<IDS|MSG>";

type Json = Record<string, unknown>;

/** A message header. */
export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** One protocol message, decoded. `parent_header` is `{}` when the message answers nothing. */
export interface KernelMessage<C = Record<string, unknown>> {
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
}

/** What signs a session's messages: the connection file's key and scheme. */
export interface SigningKey {
  key: string;
  /** Only `hmac-sha256` is supported (what jupyter_client writes and tslab verifies). */
  signatureScheme: string;
}

/**
 * A fresh random key for a connection file (jupyter_client uses a UUID4 too).
 * @example
 * const key = newSessionKey(); // "3f1c…" (36 characters)
 */
export function newSessionKey(): string {
  return randomUUID();
}

/** Reject a scheme this client cannot compute rather than sending messages the kernel drops. */
function checkScheme(scheme: string): void {
  if (scheme !== "hmac-sha256") {
    throw new Error(`sign: only the hmac-sha256 signature scheme is supported. Received: ${JSON.stringify(scheme)}`);
  }
}

/**
 * HMAC-SHA256 (hex) over the four serialized parts header, parent_header, metadata, content, in that order, as
 * the protocol defines; "" when the key is empty (signing disabled).
 * @example
 * sign({ key: "k", signatureScheme: "hmac-sha256" }, ["{}", "{}", "{}", "{}"]); // 64 hex digits
 */
export function sign(signing: SigningKey, parts: readonly (string | Buffer)[]): string {
  checkScheme(signing.signatureScheme);
  if (signing.key === "") return "";
  const hmac = createHmac("sha256", signing.key);
  for (const part of parts) hmac.update(part);
  return hmac.digest("hex");
}

/**
 * Whether `signature` is the HMAC of `parts` (constant-time compare).
 * @example
 * verify(signing, sign(signing, parts), parts); // true
 */
export function verify(signing: SigningKey, signature: string, parts: readonly (string | Buffer)[]): boolean {
  const expected = Buffer.from(sign(signing, parts));
  const got = Buffer.from(signature);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

/** Options of {@link newMessage}. */
export interface NewMessageOptions<C> {
  msgType: string;
  session: string;
  content: C;
  parent?: MessageHeader;
  username?: string;
}

/**
 * A message with a fresh header (random msg_id, current date).
 * @example
 * newMessage({ msgType: "kernel_info_request", session, content: {} });
 */
export function newMessage<C>(opts: NewMessageOptions<C>): KernelMessage<C> {
  const header: MessageHeader = {
    msg_id: randomBytes(16).toString("hex"),
    session: opts.session,
    username: opts.username ?? "pneumo-lab",
    date: new Date().toISOString(),
    msg_type: opts.msgType,
    version: PROTOCOL_VERSION,
  };
  return { header, parent_header: opts.parent ?? {}, metadata: {}, content: opts.content };
}

/**
 * The frames a DEALER sends for `msg`: delimiter, signature, then the four JSON parts.
 * @example
 * await shell.send(encodeMessage(signing, newMessage({ msgType: "kernel_info_request", session, content: {} })));
 */
export function encodeMessage(signing: SigningKey, msg: KernelMessage<unknown>): string[] {
  const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) => JSON.stringify(p));
  return [DELIMITER, sign(signing, parts), ...parts];
}

/**
 * Decode received frames (any routing prefix before the delimiter is skipped) and check the signature.
 * Throws when the delimiter is missing, a part is not JSON, or the signature does not match: a message from
 * someone without the key must not be taken as the kernel's.
 * @example
 * const msg = decodeMessage(signing, await iopub.receive());
 */
export function decodeMessage(signing: SigningKey, frames: readonly Buffer[]): KernelMessage {
  const at = frames.findIndex((f) => f.toString() === DELIMITER);
  if (at < 0 || frames.length < at + 6) {
    throw new Error(
      `decodeMessage: not a Jupyter message (no ${DELIMITER} followed by 5 parts). Received: ${frames.length} frame(s)`,
    );
  }
  const signature = frames[at + 1].toString();
  const parts = frames.slice(at + 2, at + 6);
  if (!verify(signing, signature, parts)) {
    const shown = JSON.stringify(signature.slice(0, 16));
    throw new Error(`decodeMessage: signature mismatch, message dropped. Received: signature ${shown}…`);
  }
  const [header, parent_header, metadata, content] = parts.map((p) => JSON.parse(p.toString()) as Json);
  return { header: header as unknown as MessageHeader, parent_header, metadata, content };
}
