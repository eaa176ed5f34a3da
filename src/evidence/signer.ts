import { createHash, sign, type KeyObject } from "node:crypto";

/**
 * What signs evidence. Today an ed25519 key held by this process (a file or DRILL_SIGNING_KEY);
 * a key in a KMS implements the same two members (keyid from its public key, sign by an API
 * call) without anything else changing.
 */
export interface Signer {
  /** Names the key in envelopes: sha256 of its public key's DER (SubjectPublicKeyInfo), hex. */
  readonly keyid: string;
  /** Where the key comes from, for messages: `DRILL_SIGNING_KEY` or a file path; never the key. */
  readonly source: string;
  /** The signature over `data` (ed25519: over the bytes themselves, no prehash). */
  sign(data: Buffer): Promise<Buffer>;
}

/** `openssl pkey -pubin -in signing-key.pub.pem -outform DER | sha256sum` gives the same. */
export const keyidOf = (publicKey: KeyObject) =>
  createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex");

/** A signer for an ed25519 private key held in memory. */
export function keySigner(privateKey: KeyObject, publicKey: KeyObject, source: string): Signer {
  return {
    keyid: keyidOf(publicKey),
    source,
    sign: (data) => Promise.resolve(sign(null, data, privateKey)),
  };
}
