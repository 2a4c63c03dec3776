/**
 * Control characters (C0, DEL, C1), line and paragraph separators and bidirectional
 * overrides: harmless inside JSON, but raw in a terminal or a log viewer that shows an error
 * message they can rewrite what a person sees.
 */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/gu;

/** Text fit to echo in an error message: each such character as a visible `\uXXXX`. */
export function printable(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (char) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}
