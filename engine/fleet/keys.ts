/**
 * Ed25519 keys for bundles, from node:crypto. A private key is a PKCS#8 PEM file (what openssl
 * writes for `genpkey -algorithm ed25519`); a public key is written `ed25519:<base64 of the raw
 * 32 bytes>`, the form fleet.trusted_keys and --trusted-key take.
 */
import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { TelemError } from '../errors/telem-error.js';

export const KEY_PREFIX = 'ed25519:';

export interface KeyPair {
  /** The private key as PKCS#8 PEM. */
  readonly privatePem: string;
  /** The public key as "ed25519:<base64>". */
  readonly publicKey: string;
}

export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: publicKeyText(publicKey) };
}

/** "ed25519:<base64>" of a public (or private) Ed25519 key. */
export function publicKeyText(key: KeyObject): string {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  return `${KEY_PREFIX}${Buffer.from(jwk.x as string, 'base64url').toString('base64')}`;
}

/**
 * The 32 raw bytes of an "ed25519:…" key (base64 or base64url), or undefined when the text is not
 * one. Keys compare by these bytes, so both spellings of one key are the same key.
 */
export function publicKeyBytes(text: string): Buffer | undefined {
  if (!text.startsWith(KEY_PREFIX)) return undefined;
  const body = text.slice(KEY_PREFIX.length);
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(body)) return undefined;
  const bytes = Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length !== 32) return undefined;
  // Only the canonical spelling of those bytes (no stray bits in the last character).
  if (bytes.toString('base64').replace(/=+$/, '') !== body.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '')) return undefined;
  return bytes;
}

/** The canonical "ed25519:<base64>" spelling of a key, or undefined when the text is not one. */
export function normalizePublicKey(text: string): string | undefined {
  const bytes = publicKeyBytes(text);
  return bytes === undefined ? undefined : `${KEY_PREFIX}${bytes.toString('base64')}`;
}

function publicKeyObject(bytes: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') }, format: 'jwk' });
}

/** Reads a private key file's text; a TelemError (usage) when it is not an Ed25519 private key. */
export function parsePrivateKey(pem: string, file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new TelemError('key-invalid', `${file} is not a private key (expected the PEM file telem keygen writes)`, { cause: error });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new TelemError('key-invalid', `${file} is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key, not an Ed25519 key`);
  return key;
}

export function signBytes(data: Uint8Array, key: KeyObject): string {
  return sign(null, data, key).toString('base64');
}

/**
 * True when `signature` is `publicKey`'s signature over `data`, written as the canonical base64 of
 * its 64 bytes (Node's base64 decoder skips characters it does not know, so any other spelling is
 * refused rather than decoded to the same signature).
 */
export function verifyBytes(data: Uint8Array, signature: string, publicKey: Buffer): boolean {
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length !== 64 || bytes.toString('base64') !== signature) return false;
  try {
    return verify(null, data, publicKeyObject(publicKey), bytes);
  } catch {
    return false;
  }
}
