/** Where a quote sits in the transcript: `text` is always the transcript's own characters. */
export interface LocatedQuote {
  text: string;
  start: number;
  end: number;
}

/**
 * Finds `quote` in `transcript` as the same words in the same order. Case, punctuation and spacing
 * may differ (models tidy them); words may not. Returns the transcript's own span, or null when the
 * quote cites words the transcript does not contain. `from` searches after an earlier match.
 */
export function locateQuote(transcript: string, quote: string, from = 0): LocatedQuote | null {
  const wanted = wordsOf(quote);
  if (wanted.length === 0) return null;
  const words = wordSpans(transcript).filter((word) => word.start >= from);
  for (let index = 0; index + wanted.length <= words.length; index++) {
    let matches = true;
    for (let offset = 0; offset < wanted.length; offset++) {
      if (words[index + offset]!.word !== wanted[offset]) {
        matches = false;
        break;
      }
    }
    if (matches) {
      const start = words[index]!.start;
      const end = words[index + wanted.length - 1]!.end;
      return { text: transcript.slice(start, end), start, end };
    }
  }
  return null;
}

const wordPattern = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

function normalise(word: string): string {
  return word.toLocaleLowerCase("ru").replace(/ё/g, "е").replace(/’/g, "'");
}

function wordsOf(text: string): string[] {
  return [...text.matchAll(wordPattern)].map((match) => normalise(match[0]));
}

function wordSpans(text: string): Array<{ word: string; start: number; end: number }> {
  return [...text.matchAll(wordPattern)].map((match) => ({ word: normalise(match[0]), start: match.index!, end: match.index! + match[0].length }));
}
