/** @module The NATS bus's batch: many bus messages in one NATS message, their frames left as they are. */
import type { BusMessage } from "./bus.js";

/** User ids per entry: 2,000 ids of 36 characters is ~80 KB, plus a frame of at most a few hundred KB. */
export const AUDIENCE_CHUNK = 2000;
/**
 * Characters per batch before another is started: at most 3 bytes of UTF-8 each (a frame's
 * characters are UTF-16 code units), so a batch stays under NATS's default 1 MiB payload
 * limit. One entry larger than this still goes alone, as it did before batching.
 */
export const BATCH_CHARS = 300_000;

/** An entry's flags: bit 0 ephemeral, bit 1 for every session (the audience is then empty). */
const EPHEMERAL = 1;
const EVERYONE = 2;

/** One entry of a batch's header: the audience, the flags, the frame's length in UTF-16 code units. */
type Entry = [audience: readonly string[], flags: number, length: number];

/**
 * Builds batches: `JSON array of entries \n frame frame frame…`. The frames follow the header
 * back to back, cut by their lengths, so a receiving node slices each frame out of the text it
 * decoded once and hands it to sockets without parsing it — and one JSON.parse of the header
 * serves every message of the batch.
 */
export class BatchWriter {
  private entries: Entry[] = [];
  private frames: string[] = [];
  private chars = 0;

  constructor(private readonly emit: (payload: string) => void) {}

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** Add `message`; a group's audience larger than {@link AUDIENCE_CHUNK} becomes several entries. */
  add(message: BusMessage): void {
    const flags = (message.ephemeral ? EPHEMERAL : 0) | (message.everyone ? EVERYONE : 0);
    if (message.everyone) {
      this.entry([], flags, message.frame);
      return;
    }
    for (let i = 0; i < Math.max(1, message.audience.length); i += AUDIENCE_CHUNK) {
      const audience =
        message.audience.length <= AUDIENCE_CHUNK ? message.audience : message.audience.slice(i, i + AUDIENCE_CHUNK);
      this.entry(audience, flags, message.frame);
    }
  }

  /** Emit what is held, if anything. */
  flush(): void {
    if (this.entries.length === 0) return;
    const payload = `${JSON.stringify(this.entries)}\n${this.frames.join("")}`;
    this.entries = [];
    this.frames = [];
    this.chars = 0;
    this.emit(payload);
  }

  private entry(audience: readonly string[], flags: number, frame: string): void {
    const size = frame.length + audience.length * 39 + 8;
    if (this.chars > 0 && this.chars + size > BATCH_CHARS) this.flush();
    this.entries.push([audience, flags, frame.length]);
    this.frames.push(frame);
    this.chars += size;
  }
}

/** The messages of a batch, in the order they were added; throws on a payload that is not one. */
export function readBatch(text: string): BusMessage[] {
  const newline = text.indexOf("\n");
  if (newline < 0) throw new Error("no header line");
  const entries = JSON.parse(text.slice(0, newline)) as Entry[];
  if (!Array.isArray(entries)) throw new Error("the header is not a list");
  const messages: BusMessage[] = [];
  let at = newline + 1;
  for (const [audience, flags, length] of entries) {
    if (!Array.isArray(audience) || !Number.isInteger(length) || length < 0 || at + length > text.length) {
      throw new Error("an entry does not fit the batch");
    }
    const message: BusMessage = { audience, frame: text.slice(at, at + length), ephemeral: (flags & EPHEMERAL) !== 0 };
    if ((flags & EVERYONE) !== 0) message.everyone = true;
    messages.push(message);
    at += length;
  }
  if (at !== text.length) throw new Error("bytes left after the last frame");
  return messages;
}
