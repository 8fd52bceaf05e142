/**
 * Makes text from disk, a container or the Docker engine (file names, lock paths, cmdlines, container names,
 * error details) safe to print on one terminal line: nothing in it can move the cursor, clear the screen,
 * start a new line (and so forge a table row) or reorder what follows it.
 *
 * Escaped, as visible ASCII:
 * - C0 controls U+0000–U+001F (ESC, CR, LF, TAB, BS …) and DEL: `\n`, `\r`, `\t`, else `\xHH` (`\x1b`, `\x7f`)
 * - C1 controls U+0080–U+009F (a lone U+009B is CSI on some terminals): `\xHH`
 * - bidi embeddings/overrides U+202A–U+202E, isolates U+2066–U+2069 and the marks U+061C, U+200E, U+200F:
 *   `\uHHHH` (`\u202e`)
 * - the line/paragraph separators U+2028, U+2029: `\u2028`, `\u2029`
 * - lone surrogates (not UTF-8 encodable; stdout would turn every one into the same U+FFFD): `\uHHHH`
 * - the backslash itself: `\\`.
 *
 * Why the backslash is always doubled: without it the mapping is not injective (a file literally named `x\x1b`
 * would print like one named x+ESC), and doubling it only where an escape could follow makes `C:\new` print
 * as `C:\\new` but `C:\Users` as `C:\Users`, which a reader cannot decode without knowing the rule. Always
 * doubling is the C/JSON convention everyone can read back; paths fleet prints are POSIX, so it is rare.
 *
 * Everything else, including ordinary UTF-8 (é, 中文, emoji and their ZWJ sequences), is unchanged.
 */
const UNSAFE =
  /[\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

const NAMED: Record<string, string> = {'\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t'}

const escapeOne = (c: string): string => {
  const named = NAMED[c]
  if (named) return named
  const code = c.charCodeAt(0)
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** `s` with every character that could act on a terminal (and the backslash) written as a visible escape. */
export function printable(s: string): string {
  return s.replace(UNSAFE, escapeOne)
}
