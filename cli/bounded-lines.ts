/**
 * The lines of a text stream (stdin for `stream -`), LF or CRLF. Unlike readline, a line is never
 * held whole: past `maxChars` the rest of it is dropped as it arrives, and the line is handed on
 * cut to `maxChars + 1` characters, so the reader refuses it by its length (naming its number)
 * instead of the process running out of memory on a line with no end.
 */
export async function* boundedLines(input: AsyncIterable<Uint8Array | string>, maxChars: number): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let line = '';
  const take = (piece: string): void => {
    if (line.length <= maxChars) line += piece.slice(0, maxChars + 1 - line.length);
  };
  const finish = (): string => {
    const done = line.endsWith('\r') && line.length <= maxChars ? line.slice(0, -1) : line;
    line = '';
    return done;
  };
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let at = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
      take(text.slice(at, nl));
      yield finish();
      at = nl + 1;
    }
    take(text.slice(at));
  }
  take(decoder.decode());
  if (line.length > 0) yield finish();
}
