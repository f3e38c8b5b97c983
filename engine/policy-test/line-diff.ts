/** A line diff of an expected and an actual value (`-` expected, `+` actual), for failure reports. */

export function valueLines(value: unknown): string[] {
  if (value === undefined) return ['(nothing)'];
  return JSON.stringify(value, null, 2).split('\n');
}

/** Longest-common-subsequence diff; values in test expectations are a few dozen lines at most. */
export function diffLines(expected: readonly string[], actual: readonly string[]): string[] {
  const rows = expected.length;
  const columns = actual.length;
  const common: number[][] = Array.from({ length: rows + 1 }, () => new Array<number>(columns + 1).fill(0));
  for (let i = rows - 1; i >= 0; i -= 1) {
    for (let j = columns - 1; j >= 0; j -= 1) {
      const row = common[i] as number[];
      row[j] = expected[i] === actual[j] ? ((common[i + 1] as number[])[j + 1] as number) + 1 : Math.max((common[i + 1] as number[])[j] as number, row[j + 1] as number);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < rows || j < columns) {
    if (i < rows && j < columns && expected[i] === actual[j]) {
      out.push(`  ${expected[i]}`);
      i += 1;
      j += 1;
    } else if (i < rows && (j === columns || ((common[i + 1] as number[])[j] as number) >= ((common[i] as number[])[j + 1] as number))) {
      out.push(`- ${expected[i]}`);
      i += 1;
    } else {
      out.push(`+ ${actual[j]}`);
      j += 1;
    }
  }
  return out;
}

export function diffValues(expected: unknown, actual: unknown): string[] {
  return diffLines(valueLines(expected), valueLines(actual));
}
