import { describe, expect, it } from "vitest";
import {
  decodeMessage,
  DELIMITER,
  encodeMessage,
  newMessage,
  sign,
  verify,
  type SigningKey,
} from "../../scripts/nbrun/protocol";

const signing: SigningKey = { key: "secret-key", signatureScheme: "hmac-sha256" };
const PARTS = ['{"msg_id":"a1","msg_type":"execute_request"}', "{}", "{}", '{"code":"1+1"}'];
// Reference: python3 -c "import hmac, hashlib; h = hmac.new(b'secret-key', digestmod=hashlib.sha256);
//   [h.update(p.encode()) for p in PARTS]; print(h.hexdigest())" (the protocol's HMAC, as jupyter_client computes it)
const PARTS_HMAC = "87411400debbc320fbf460f232240940489cfb78cc860066fd79e0460f951538";

describe("sign / verify", () => {
  it("is HMAC-SHA256 over header, parent_header, metadata and content, in order", () => {
    expect(sign(signing, PARTS)).toBe(PARTS_HMAC);
    expect(
      sign(
        signing,
        PARTS.map((p) => Buffer.from(p)),
      ),
    ).toBe(PARTS_HMAC);
    expect(sign(signing, [PARTS[1], PARTS[0], PARTS[2], PARTS[3]])).not.toBe(PARTS_HMAC);
  });

  it("accepts the right signature and rejects changed content, another key or a truncated one", () => {
    expect(verify(signing, PARTS_HMAC, PARTS)).toBe(true);
    expect(verify(signing, PARTS_HMAC, [...PARTS.slice(0, 3), '{"code":"2+2"}'])).toBe(false);
    expect(verify({ ...signing, key: "other" }, PARTS_HMAC, PARTS)).toBe(false);
    expect(verify(signing, PARTS_HMAC.slice(0, 32), PARTS)).toBe(false);
  });

  it("signs with an empty string when the key is empty, and refuses schemes it cannot compute", () => {
    expect(sign({ key: "", signatureScheme: "hmac-sha256" }, PARTS)).toBe("");
    const md5 = { key: "k", signatureScheme: "hmac-md5" };
    expect(() => sign(md5, PARTS)).toThrow(/only the hmac-sha256.*Received: "hmac-md5"/);
  });
});

describe("encodeMessage / decodeMessage", () => {
  const msg = newMessage({ msgType: "execute_request", session: "s1", content: { code: "1+1" } });

  it("writes a v5.3 header with a fresh id and the session", () => {
    expect(msg.header).toMatchObject({ msg_type: "execute_request", session: "s1", version: "5.3" });
    expect(msg.header.msg_id).toMatch(/^[0-9a-f]{32}$/);
    expect(newMessage({ msgType: "x", session: "s1", content: {} }).header.msg_id).not.toBe(msg.header.msg_id);
    expect(Number.isNaN(Date.parse(msg.header.date))).toBe(false);
  });

  it("round-trips through the wire frames, skipping a routing prefix", () => {
    const frames = encodeMessage(signing, msg);
    expect(frames[0]).toBe(DELIMITER);
    expect(frames[1]).toBe(sign(signing, frames.slice(2)));
    const decoded = decodeMessage(signing, [Buffer.from("routing-id"), ...frames.map((f) => Buffer.from(f))]);
    expect(decoded).toEqual(msg);
  });

  it("drops a message whose signature does not match, and names a frame list that is not a message", () => {
    const frames = encodeMessage(signing, msg).map((f) => Buffer.from(f));
    frames[5] = Buffer.from(JSON.stringify({ code: "process.exit()" }));
    expect(() => decodeMessage(signing, frames)).toThrow(/signature mismatch/);
    const signed = encodeMessage(signing, msg).map((f) => Buffer.from(f));
    expect(() => decodeMessage({ ...signing, key: "other" }, signed)).toThrow(/signature mismatch/);
    const noDelimiter = [Buffer.from("no delimiter")];
    expect(() => decodeMessage(signing, noDelimiter)).toThrow(/not a Jupyter message.*Received: 1 frame/);
  });
});
