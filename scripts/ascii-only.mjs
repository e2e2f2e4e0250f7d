/** @module The server bundle's text in ASCII (scripts/bundle-server.mjs writes every chunk through it). */

/**
 * Every character past ASCII written as a `\uXXXX` escape. esbuild escapes them in strings and
 * names itself, but keeps the comments it carries over and the text of regular expressions as
 * they are, and a single em dash in a comment makes V8 hold that whole module's source in two
 * bytes per character instead of one: about 1 MB more heap in every process that loads the chat
 * node (docs/benchmarks.md, "An idle node"). In a comment the escape is only text; in a string or
 * a regular expression it means the same character.
 */
export function asciiOnly(text) {
  return text.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
