/** Deepest nesting accepted in a request (meta objects included); deeper input is a 400. */
export const MAX_INPUT_DEPTH = 32;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What makes an input unstorable: PostgreSQL text and jsonb refuse NUL and lone surrogates. */
export interface TextProblem {
  /** Dotted path of the field, "(value)" for the input itself. */
  path: string;
  problem: string;
}

function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which is not accepted';
  if (LONE_SURROGATE.test(text)) {
    return 'contains a lone UTF-16 surrogate (an unpaired \\uD800–\\uDFFF escape), which is not accepted';
  }
  return null;
}

/**
 * The first string, key or nesting level of `input` that could not be stored, walking every depth
 * without recursion (a 5,000-deep object must not exhaust the stack), or null.
 */
export function findTextProblem(input: unknown): TextProblem | null {
  const stack: { value: unknown; path: string[] }[] = [{ value: input, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    const where = () => path.join('.') || '(value)';
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { path: where(), problem };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_INPUT_DEPTH) {
      return {
        path: where(),
        problem: `is nested deeper than ${MAX_INPUT_DEPTH} levels, which is not accepted`,
      };
    }
    for (const [key, child] of Object.entries(value)) {
      const problem = textProblem(key);
      if (problem) return { path: [...path, key].join('.'), problem: `has a key that ${problem}` };
      stack.push({ value: child, path: [...path, key] });
    }
  }
  return null;
}
