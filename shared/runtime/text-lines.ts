/**
 * The lines of a byte stream (a child's stdout, this process's stdin), without their "\n", as they
 * arrive: a line split across chunks, or a character split across them, comes out whole. A last line
 * with no "\n" after it is not a whole line and is left out.
 */
export async function* textLines(stream: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n", start)) {
      yield buffered.slice(start, newline);
      start = newline + 1;
    }
    buffered = buffered.slice(start);
  }
}
