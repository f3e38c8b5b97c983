/** Upstream decodes bodies as UTF-8 and falls back to latin-1 on any error; so do we, for bodies and header values. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}

/** Node hands header values over as latin-1 (one char per byte); re-read them as UTF-8 when they are. */
export function decodeHeaderValue(value: string): string {
  return /^[\x00-\x7f]*$/.test(value) ? value : decodeText(Buffer.from(value, 'latin1'));
}
