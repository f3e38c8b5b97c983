/**
 * The few Python behaviours upstream's messages and rules depend on: `repr()` of a string (it
 * appears in the payload_format_version message), `string.printable` and `int()` parsing.
 */

/** Python's `repr(str)`: single quotes unless the text has a ' and no ", escapes for the rest. */
export function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${quote}${out}${quote}`;
}

/** Every character is in Python's `string.printable` (ASCII letters, digits, punctuation and whitespace). */
export function isPrintable(text: string): boolean {
  return /^[\x20-\x7e\t\n\r\x0b\x0c]*$/.test(text);
}

/**
 * Python's `int(text)` for ASCII input: surrounding whitespace, an optional sign, digits with
 * single underscores between them. Returns undefined where Python raises ValueError.
 */
export function parsePythonInt(text: string): number | undefined {
  const match = /^[\s]*([+-]?)(\d+(?:_\d+)*)[\s]*$/.exec(text);
  if (!match) return undefined;
  const value = Number((match[2] as string).replaceAll('_', ''));
  return match[1] === '-' ? -value : value;
}
