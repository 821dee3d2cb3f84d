import { deepStrictEqual, rejects, strictEqual, throws } from "node:assert/strict";
import { cleanText, CLIP_END_TOKEN, CLIP_START_TOKEN, loadClipTokenizer, unescapeHtml } from "../../lib/encode/mod.ts";

const GOLDEN: { cases: { text: string; ids: number[] }[] } = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/clip/clip-tokenizer-golden.json", import.meta.url)),
);

Deno.test("ClipTokenizer.encode() equals OpenAI CLIP's simple_tokenizer on the golden texts", async (t) => {
  const tokenizer = await loadClipTokenizer();
  strictEqual(tokenizer.vocabSize, 49408);
  for (const c of GOLDEN.cases) {
    await t.step(JSON.stringify(c.text.slice(0, 50)), () => deepStrictEqual(tokenizer.encode(c.text), c.ids));
  }
});

Deno.test("ClipTokenizer.tokenize() pads to 77 and truncates with <|endoftext|> last", async () => {
  const tokenizer = await loadClipTokenizer();
  const long = GOLDEN.cases.find((c) => c.ids.length > 77)!;
  const { ids, shape } = tokenizer.tokenize(["a photo of a cat", long.text, ""]);
  deepStrictEqual(shape, [3, 77]);
  deepStrictEqual(Array.from(ids.slice(0, 8), Number), [49406, 320, 1125, 539, 320, 2368, 49407, 0]);
  deepStrictEqual(Array.from(ids.slice(77, 154), Number), [...long.ids.slice(0, 76), CLIP_END_TOKEN]);
  deepStrictEqual(Array.from(ids.slice(154, 157), Number), [CLIP_START_TOKEN, CLIP_END_TOKEN, 0]);
  throws(() => tokenizer.tokenize([long.text], { truncate: false }), RangeError);
});

Deno.test("cleanText() unescapes HTML twice, uncurls quotes and collapses whitespace", async (t) => {
  const cases: [string, string][] = [
    ["Fish &amp;amp; Chips", "fish & chips"],
    ["it&#39;s &lt;b&gt;", "it's <b>"],
    ["don\u2019t  \t stop\n", "don't stop"],
    ["&#x41;&#65;&amp", "aa&"],
    ["\uff21\uff22 caf\u0065\u0301", "ab café"],
  ];
  for (const [input, expected] of cases) {
    await t.step(JSON.stringify(input), () => strictEqual(cleanText(input), expected));
  }
  strictEqual(unescapeHtml("&unknown; &#128;"), "&unknown; €");
});

Deno.test("loadClipTokenizer() names a missing vocabulary file", async () => {
  await rejects(() => loadClipTokenizer("/nonexistent/bpe.txt.gz"), /bpe\.txt\.gz/);
});
