/**
 * How deeply JSON may nest where the pipeline takes it from outside (`POST /events`, the GitHub webhook,
 * `simulate --event`). Real events nest a handful of levels; serialising or walking thousands of levels
 * overflows the stack, which must never surface as a decision about the event (issue #15).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of objects and arrays in a JSON text, read without parsing (so without recursion):
 * brackets inside strings do not count. Stops counting once past `limit`, returning `limit + 1`.
 */
export function jsonTextDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return limit + 1;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return deepest;
}

/** The problem with a JSON text nested deeper than {@link MAX_JSON_DEPTH}, or undefined when it is not. */
export function tooDeep(text: string, what: string): string | undefined {
  return jsonTextDepth(text) > MAX_JSON_DEPTH
    ? `${what} nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep; events need a handful`
    : undefined;
}
