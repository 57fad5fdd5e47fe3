/**
 * JSON as TensorFlow Serving's REST API reads it: standard JSON plus the
 * bare tokens NaN, Infinity and -Infinity for non-finite floats. Outside
 * strings those tokens become marker strings that the tensor parser turns
 * back into numbers; a number literal too large for a double (1e999), which
 * JSON.parse would silently make Infinity, stays a number the parser can
 * tell apart and refuse.
 */
const NON_FINITE: Readonly<Record<string, number>> = {
  '\u0000NaN': Number.NaN,
  '\u0000Infinity': Number.POSITIVE_INFINITY,
  '\u0000-Infinity': Number.NEGATIVE_INFINITY,
};

const TOKENS = ['-Infinity', 'Infinity', 'NaN'] as const;

/** Rewrites the bare tokens outside strings; one pass, no recursion, whatever the size. */
const markNonFinite = (text: string): string => {
  const parts: string[] = [];
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    if (c !== 0x2d && c !== 0x49 && c !== 0x4e) continue; // '-', 'I', 'N'
    const token = TOKENS.find((t) => text.startsWith(t, i));
    if (!token) continue;
    parts.push(text.slice(from, i), JSON.stringify(`\u0000${token}`));
    i += token.length - 1;
    from = i + 1;
  }
  if (from === 0) return text;
  parts.push(text.slice(from));
  return parts.join('');
};

/** Parses request JSON; throws JSON.parse's SyntaxError for malformed text. */
const parseJsonText = (text: string): unknown =>
  JSON.parse(text.includes('NaN') || text.includes('Infinity') ? markNonFinite(text) : text);

/** The number a NaN/Infinity marker stands for, or undefined for any other value. */
const nonFiniteMarker = (value: unknown): number | undefined =>
  typeof value === 'string' ? NON_FINITE[value] : undefined;

export { nonFiniteMarker, parseJsonText };
