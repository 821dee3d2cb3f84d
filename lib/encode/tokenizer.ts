/**
 * CLIP's tokenizer: lower-cased byte-level BPE (OpenAI `clip/simple_tokenizer.py`) with `<|startoftext|>` (49406)
 * and `<|endoftext|>` (49407), placed in 77 zero-padded positions with truncation, read from the local BPE file
 * `bpe_simple_vocab_16e6.txt.gz`.
 * @module
 */
import { withDefaults } from "../io/options.ts";

/** Id of `<|startoftext|>`. */
export const CLIP_START_TOKEN = 49406;
/** Id of `<|endoftext|>`. */
export const CLIP_END_TOKEN = 49407;
/** CLIP's context length. */
export const CLIP_CONTEXT_LENGTH = 77;
/** The BPE merges shipped in the repository (OpenAI CLIP, MIT licence; see fixtures/clip/README.md). */
export const DEFAULT_CLIP_VOCAB_URL: URL = new URL("../../fixtures/clip/bpe_simple_vocab_16e6.txt.gz", import.meta.url);

/** Options of {@link ClipTokenizer.tokenize}. */
export interface TokenizeOptions {
  /**
   * Positions per text (zero-padded).
   * @default 77
   */
  contextLength?: number;
  /**
   * Cut longer texts to `contextLength`, last position `<|endoftext|>`; when false a longer text is a RangeError.
   * @default true
   */
  truncate?: boolean;
}

/** Defaults of {@link TokenizeOptions} (as `clip.tokenize(texts, context_length=77, truncate=True)`). */
export const DEFAULT_TOKENIZE_OPTIONS: Readonly<Required<TokenizeOptions>> = Object.freeze({
  contextLength: CLIP_CONTEXT_LENGTH,
  truncate: true,
});

const TOKEN_PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/** GPT-2/CLIP byte → printable character table, as `[byte, char]` pairs in CLIP's order (the vocabulary's order). */
function bytesToUnicode(): [number, string][] {
  const bs: number[] = [];
  for (let b = "!".charCodeAt(0); b <= "~".charCodeAt(0); b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  return bs.map((b, i) => [b, String.fromCodePoint(cs[i])]);
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = Object.freeze({
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  copy: "©",
  reg: "®",
  trade: "™",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  laquo: "«",
  raquo: "»",
  deg: "°",
  middot: "·",
  bull: "•",
  times: "×",
  divide: "÷",
  euro: "€",
  pound: "£",
  yen: "¥",
  cent: "¢",
  sect: "§",
  para: "¶",
  plusmn: "±",
  frac12: "½",
  frac14: "¼",
  frac34: "¾",
  eacute: "é",
  egrave: "è",
  agrave: "à",
  aacute: "á",
  ccedil: "ç",
  ouml: "ö",
  uuml: "ü",
  auml: "ä",
  szlig: "ß",
  ntilde: "ñ",
});
// Entities Python's html.unescape also accepts without the semicolon (a subset of HTML5's legacy names).
const LEGACY_NO_SEMICOLON = new Set([
  "amp",
  "lt",
  "gt",
  "quot",
  "nbsp",
  "copy",
  "reg",
  "deg",
  "middot",
  "times",
  "divide",
  "pound",
  "yen",
  "cent",
  "sect",
  "para",
  "plusmn",
  "frac12",
  "frac14",
  "frac34",
  "eacute",
  "egrave",
  "agrave",
  "aacute",
  "ccedil",
  "ouml",
  "uuml",
  "auml",
  "szlig",
  "ntilde",
  "laquo",
  "raquo",
]);
// Python html's _invalid_charrefs: C1 controls read as windows-1252.
const CP1252: Readonly<Record<number, number>> = Object.freeze({
  0x80: 0x20ac,
  0x82: 0x201a,
  0x83: 0x0192,
  0x84: 0x201e,
  0x85: 0x2026,
  0x86: 0x2020,
  0x87: 0x2021,
  0x88: 0x02c6,
  0x89: 0x2030,
  0x8a: 0x0160,
  0x8b: 0x2039,
  0x8c: 0x0152,
  0x8e: 0x017d,
  0x91: 0x2018,
  0x92: 0x2019,
  0x93: 0x201c,
  0x94: 0x201d,
  0x95: 0x2022,
  0x96: 0x2013,
  0x97: 0x2014,
  0x98: 0x02dc,
  0x99: 0x2122,
  0x9a: 0x0161,
  0x9b: 0x203a,
  0x9c: 0x0153,
  0x9e: 0x017e,
  0x9f: 0x0178,
  0x0d: 0x0d,
  0x00: 0xfffd,
});

/**
 * Python's `html.unescape` for numeric references and the common named entities (the full HTML5 table is not
 * bundled; unknown names stay as written).
 */
export function unescapeHtml(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g, (match, body: string) => {
    if (body[0] === "#") {
      const hex = body[1] === "x" || body[1] === "X";
      const code = parseInt(body.slice(hex ? 2 : 1).replace(/;$/, ""), hex ? 16 : 10);
      if (code in CP1252) return String.fromCodePoint(CP1252[code]);
      if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return "\ufffd";
      if ((code >= 0x1 && code <= 0x8) || (code >= 0xe && code <= 0x1f) || (code >= 0x7f && code <= 0x9f)) return "";
      if ((code >= 0xfdd0 && code <= 0xfdef) || (code & 0xfffe) === 0xfffe || code === 0xb) return "";
      return String.fromCodePoint(code);
    }
    if (body.endsWith(";") && Object.hasOwn(NAMED_ENTITIES, body.slice(0, -1))) {
      return NAMED_ENTITIES[body.slice(0, -1)];
    }
    // Longest legacy name that prefixes the text (html.unescape's fallback).
    for (let k = body.length - (body.endsWith(";") ? 1 : 0); k > 1; k--) {
      const name = body.slice(0, k);
      if (LEGACY_NO_SEMICOLON.has(name)) return NAMED_ENTITIES[name] + body.slice(k);
    }
    return match;
  });
}

/**
 * The parts of `ftfy.fix_text` that matter for English prompts: curly quotes to straight, Latin ligatures,
 * full-width ASCII to half-width, line breaks, control characters, NFC. (ftfy's mojibake repair is not reproduced.)
 */
export function fixText(text: string): string {
  return text
    .replace(/\r\n|[\r\u2028\u2029\u0085]/g, "\n")
    .replace(/[\u2018\u2019\u201a\u201b\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"')
    .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, " ")
    .replace(/[\ufb00-\ufb06]/g, (c) => c.normalize("NFKC"))
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, "")
    .normalize("NFC");
}

/** CLIP's text cleaning: `whitespace_clean(basic_clean(text)).lower()`. */
export function cleanText(text: string): string {
  const basic = unescapeHtml(unescapeHtml(fixText(text))).trim();
  return basic.replace(/\s+/gu, " ").trim().toLowerCase();
}

/** A loaded CLIP BPE tokenizer. */
export class ClipTokenizer {
  #encoder: Map<string, number>;
  #ranks: Map<string, number>;
  #byteEncoder: string[];
  #cache = new Map<string, string[]>();

  /** Builds the tokenizer from the merges file's text (as in `bpe_simple_vocab_16e6.txt`). */
  constructor(mergesText: string) {
    const lines = mergesText.split("\n").slice(1, 49152 - 256 - 2 + 1);
    if (lines.length !== 49152 - 256 - 2) {
      throw new SyntaxError(
        `Cannot build CLIP tokenizer as the merges file must have 48894 merges: current value is ${lines.length}`,
      );
    }
    const pairs = bytesToUnicode();
    this.#byteEncoder = new Array<string>(256);
    for (const [b, c] of pairs) this.#byteEncoder[b] = c;
    const chars = pairs.map(([, c]) => c);
    const vocab = [...chars, ...chars.map((v) => v + "</w>")];
    this.#ranks = new Map();
    lines.forEach((line, rank) => {
      const [a, b] = line.split(" ");
      this.#ranks.set(`${a} ${b}`, rank);
      vocab.push(a + b);
    });
    vocab.push("<|startoftext|>", "<|endoftext|>");
    this.#encoder = new Map(vocab.map((token, id) => [token, id]));
  }

  /** Vocabulary size (49,408 for CLIP). */
  get vocabSize(): number {
    return this.#encoder.size;
  }

  #bpe(token: string): string[] {
    const cached = this.#cache.get(token);
    if (cached) return cached;
    const chars = Array.from(token);
    let word = [...chars.slice(0, -1), chars[chars.length - 1] + "</w>"];
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const rank = this.#ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const first = word[best];
      const second = word[best + 1];
      const merged: string[] = [];
      for (let i = 0; i < word.length;) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(word[i]);
          i++;
        }
      }
      word = merged;
    }
    if (this.#cache.size > 100_000) this.#cache.clear();
    this.#cache.set(token, word);
    return word;
  }

  /** Token ids of one text without start/end tokens (`SimpleTokenizer.encode`). */
  encodeText(text: string): number[] {
    const ids: number[] = [];
    const utf8 = new TextEncoder();
    for (const match of cleanText(text).matchAll(TOKEN_PATTERN)) {
      const token = match[0];
      if (token === "<|startoftext|>") {
        ids.push(CLIP_START_TOKEN);
        continue;
      }
      if (token === "<|endoftext|>") {
        ids.push(CLIP_END_TOKEN);
        continue;
      }
      const mapped = Array.from(utf8.encode(token), (b) => this.#byteEncoder[b]).join("");
      for (const piece of this.#bpe(mapped)) ids.push(this.#encoder.get(piece)!);
    }
    return ids;
  }

  /** Ids with `<|startoftext|>` and `<|endoftext|>`, not padded (as the golden file lists them). */
  encode(text: string): number[] {
    return [CLIP_START_TOKEN, ...this.encodeText(text), CLIP_END_TOKEN];
  }

  /**
   * `clip.tokenize(texts)`: `[texts.length, contextLength]` int64 ids, zero-padded; longer texts truncated with
   * `<|endoftext|>` in the last position (or a RangeError when `truncate` is false).
   *
   * @example
   * ```ts
   * const tokenizer = await loadClipTokenizer();
   * const { ids, shape } = tokenizer.tokenize(["a photo of a cat"]); // shape [1, 77], ids[0] = 49406n
   * ```
   */
  tokenize(texts: readonly string[], options: TokenizeOptions = {}): { ids: BigInt64Array; shape: [number, number] } {
    const { contextLength, truncate } = withDefaults(DEFAULT_TOKENIZE_OPTIONS, options);
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new RangeError(
        `Cannot tokenize as contextLength must be an integer >= 2: current value is ${contextLength}`,
      );
    }
    const ids = new BigInt64Array(texts.length * contextLength);
    texts.forEach((text, row) => {
      let tokens = this.encode(text);
      if (tokens.length > contextLength) {
        if (!truncate) {
          throw new RangeError(
            `Cannot tokenize text as it is longer than the context length: current value is ${tokens.length} ` +
              `tokens > ${contextLength} (text ${row}: ${JSON.stringify(text.slice(0, 60))}…)`,
          );
        }
        tokens = tokens.slice(0, contextLength);
        tokens[contextLength - 1] = CLIP_END_TOKEN;
      }
      tokens.forEach((id, col) => ids[row * contextLength + col] = BigInt(id));
    });
    return { ids, shape: [texts.length, contextLength] };
  }
}

/**
 * Loads CLIP's tokenizer from a local `bpe_simple_vocab_16e6.txt.gz` (gzip is decompressed with
 * `DecompressionStream`; a plain-text file also works).
 *
 * @example
 * ```ts
 * const tokenizer = await loadClipTokenizer(); // the copy in fixtures/clip/
 * tokenizer.encode("a photo of a cat"); // [49406, 320, 1125, 539, 320, 2368, 49407]
 * ```
 */
export async function loadClipTokenizer(vocabPath: string | URL = DEFAULT_CLIP_VOCAB_URL): Promise<ClipTokenizer> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(vocabPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `Cannot load CLIP tokenizer as the BPE vocabulary file does not exist: current value is ${vocabPath}`,
        { cause: error },
      );
    }
    throw error;
  }
  let text: string;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
      text = await new Response(stream).text();
    } catch (error) {
      throw new SyntaxError(`Cannot load CLIP tokenizer as the gzip file is corrupt: current value is ${vocabPath}`, {
        cause: error,
      });
    }
  } else {
    text = new TextDecoder().decode(bytes);
  }
  try {
    return new ClipTokenizer(text);
  } catch (error) {
    throw new SyntaxError(`${(error as Error).message} in ${vocabPath}`, { cause: error });
  }
}
