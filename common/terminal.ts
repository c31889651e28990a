/**
 * Text from files (class names from model.json, index.json, a sidecar or a class list; sample names;
 * a user's file names) reaches the terminal, which executes ANSI/OSC escape sequences in it: a class
 * name could clear the screen, rewrite earlier lines or set the window title. Everything printed
 * that came from a file passes through printable(), which shows control characters as escapes.
 */

// C0 controls, DEL, C1 controls, and the Unicode bidirectional overrides that reorder what is shown.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escape(ch: string): string {
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control character written as \xNN or \uNNNN: one line, nothing a terminal acts on. */
export function printable(text: string): string {
  return text.replace(CONTROL, escape);
}

/** The same, keeping line breaks: for messages of several lines. */
export function printableLines(text: string): string {
  return text.replace(CONTROL_BUT_NEWLINE, escape);
}
