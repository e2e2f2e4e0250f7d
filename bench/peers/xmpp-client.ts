/**
 * @module A lean XMPP client over WebSocket (RFC 7395) for the ejabberd peer of `bench:load`:
 * SASL PLAIN, resource bind, XEP-0198 stream management, initial presence, and 1:1
 * `<message type='chat'>` stanzas with an id. Stream management gives each sent message a
 * server ack: the client asks with `<r/>` after every message and the server answers `<a h/>`
 * with the count of stanzas it has handled, which (a c2s process handles its stanzas in order)
 * is only after the message was routed — and, with mod_mam, archived. RFC 7395 puts exactly one
 * top-level element in each WebSocket message, so a frame is read by its opening tag: no XML
 * stream parser, which keeps thousands of connections cheap for the generator.
 */
import WebSocket from "ws";

const FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const SM = "urn:xmpp:sm:3";

/** Escape text for XML character data and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[c]};`);
}

/** Undo the five predefined XML entities and numeric character references. */
export function xmlUnescape(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === "#") return String.fromCodePoint(e[1] === "x" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e] as string;
  });
}

/** The qualified name of a frame's top-level element (`message`, `a`, `stream:features`, …). */
export function elementName(frame: string): string {
  return /^\s*<([\w:.-]+)/.exec(frame)?.[1] ?? "";
}

/** An attribute of a frame's top-level element, in either quote style, unescaped. */
export function attribute(frame: string, name: string): string | undefined {
  const end = frame.indexOf(">");
  const head = end === -1 ? frame : frame.slice(0, end);
  const match = new RegExp(`\\s${name}=(?:'([^']*)'|"([^"]*)")`).exec(head);
  if (!match) return undefined;
  return xmlUnescape(match[1] ?? match[2] ?? "");
}

/** How to reach the server and who to be. */
export interface XmppClientOptions {
  /** ws:// URL of ejabberd's `ejabberd_http_ws` handler. */
  url: string;
  /** Bare JID, `user@domain`. */
  jid: string;
  password: string;
  resource?: string;
  /** A chat message reached this client: its `id` attribute and sender. */
  onMessage(id: string, from: string): void;
  /** The server acknowledged (XEP-0198) the message sent with this id. Called in send order. */
  onAcked(id: string): void;
  /** The stream ended after the handshake (a close frame, a stream error, a dropped socket). */
  onClosed(reason: string): void;
}

/** A logged-in XMPP session, present and with stream management enabled. */
export interface XmppClient {
  /** The full JID the server bound. */
  jid: string;
  /** Send `<message type='chat'>` with `id` and a body to a bare or full JID, then ask for an ack. */
  sendChat(to: string, id: string, body: string): void;
  close(): void;
}

/** Open the WebSocket with the `xmpp` subprotocol, retrying while the server is busy accepting. */
async function open(url: string, onFrame: (frame: string) => void): Promise<WebSocket> {
  for (let attempt = 1; ; attempt++) {
    try {
      const ws = new WebSocket(url, "xmpp", { perMessageDeflate: false });
      // Before "open" resolves: the first frame may arrive before an awaiting caller resumes.
      ws.on("message", (data) => onFrame(String(data)));
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
        ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      });
      return ws;
    } catch (error) {
      if (attempt >= 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * attempt)));
    }
  }
}

/**
 * Log in, bind, enable stream management and send initial presence; resolves when all are done.
 * A login the server drops is tried again (a real client reconnects too), at most `attempts`
 * times; each retry is reported on stderr with its reason, so it is seen, not hidden.
 */
export async function connectXmpp(options: XmppClientOptions, attempts = 5): Promise<XmppClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await login(options);
    } catch (error) {
      if (attempt >= attempts) throw error;
      console.error(`xmpp login retried (${attempt}): ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

async function login(options: XmppClientOptions): Promise<XmppClient> {
  const at = options.jid.indexOf("@");
  const [user, domain] = [options.jid.slice(0, at), options.jid.slice(at + 1)];
  let waiter: { accept: (frame: string) => boolean; resolve: (frame: string) => void } | undefined;
  let fail: (error: Error) => void = () => undefined;
  let established = false;
  let smEnabled = false;
  /** Stanzas received since stream management was enabled: the `h` this client reports. */
  let received = 0;
  /** Stanzas sent since it was enabled, and the message ids waiting for the server's `h`. */
  let sent = 0;
  const unacked: { h: number; id: string }[] = [];
  let head = 0;
  let ws: WebSocket | undefined;

  const onFrame = (frame: string) => {
    const name = elementName(frame);
    if (smEnabled && (name === "message" || name === "presence" || name === "iq")) received += 1;
    if (name === "message") {
      const id = attribute(frame, "id");
      if (id !== undefined && attribute(frame, "type") !== "error")
        options.onMessage(id, attribute(frame, "from") ?? "");
    } else if (name === "r") {
      // ejabberd asks for acks too, and closes a stream that leaves too many unanswered.
      ws?.send(`<a xmlns='${SM}' h='${received}'/>`);
    } else if (name === "a") {
      const h = Number(attribute(frame, "h"));
      while (head < unacked.length && (unacked[head] as { h: number }).h <= h) {
        options.onAcked((unacked[head] as { id: string }).id);
        head += 1;
      }
      if (head > 1024 && head * 2 > unacked.length) {
        unacked.splice(0, head);
        head = 0;
      }
    } else if (name === "stream:error" || name === "close" || name === "failure") {
      const reason = `${name}: ${frame.slice(0, 300)}`;
      if (established) options.onClosed(reason);
      else fail(new Error(`${options.jid}: ${reason}`));
      return;
    }
    if (waiter?.accept(frame)) {
      const { resolve } = waiter;
      waiter = undefined;
      resolve(frame);
    }
  };
  const socket = await open(options.url, onFrame);
  ws = socket;
  const broken = new Promise<never>((_, reject) => {
    fail = reject;
    socket.once("close", (code) => {
      if (established) options.onClosed(`socket closed with ${code}`);
      else reject(new Error(`${options.jid}: socket closed with ${code} during login`));
    });
  });
  broken.catch(() => undefined); // rejections are read through the races below
  const expect = (send: string, accept: (frame: string) => boolean) => {
    const reply = new Promise<string>((resolve) => {
      waiter = { accept, resolve };
    });
    socket.send(send);
    return Promise.race([reply, broken]);
  };
  const openStream = `<open xmlns='${FRAMING}' to='${xmlEscape(domain)}' version='1.0'/>`;
  let fullJid = "";
  // A server that stops answering mid-login must not hang the generator's setup.
  const timer = setTimeout(() => fail(new Error(`${options.jid}: login took over 30 s`)), 30_000);
  try {
    await handshake();
  } catch (error) {
    socket.terminate();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  established = true;

  async function handshake(): Promise<void> {
    const features = await expect(openStream, (f) => elementName(f) === "stream:features");
    if (!features.includes("<mechanism>PLAIN</mechanism>")) throw new Error(`${options.jid}: no SASL PLAIN offered`);
    const credentials = Buffer.from(`\0${user}\0${options.password}`).toString("base64");
    await expect(`<auth xmlns='${SASL}' mechanism='PLAIN'>${credentials}</auth>`, (f) => elementName(f) === "success");
    const bound = await expect(openStream, (f) => elementName(f) === "stream:features");
    if (!bound.includes(`'${SM}'`) && !bound.includes(`"${SM}"`))
      throw new Error(`${options.jid}: no XEP-0198 offered`);
    const bind = await expect(
      `<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${xmlEscape(options.resource ?? "bench")}</resource></bind></iq>`,
      (f) => elementName(f) === "iq" && attribute(f, "id") === "bind",
    );
    const jid = /<jid>([^<]+)<\/jid>/.exec(bind)?.[1];
    if (attribute(bind, "type") !== "result" || !jid) throw new Error(`${options.jid}: bind failed: ${bind}`);
    fullJid = jid;
    await expect(`<enable xmlns='${SM}'/>`, (f) => elementName(f) === "enabled");
    smEnabled = true;
    // Initial presence makes the session available, so chat messages to the bare JID reach it.
    socket.send("<presence xmlns='jabber:client'/>");
    sent += 1;
    await expect(`<r xmlns='${SM}'/>`, (f) => elementName(f) === "a" && Number(attribute(f, "h")) >= sent);
  }

  return {
    jid: fullJid,
    sendChat(to: string, id: string, body: string) {
      socket.send(
        `<message xmlns='jabber:client' to='${xmlEscape(to)}' type='chat' id='${xmlEscape(id)}'><body>${xmlEscape(body)}</body></message>`,
      );
      sent += 1;
      unacked.push({ h: sent, id });
      socket.send(`<r xmlns='${SM}'/>`);
    },
    close() {
      established = false;
      socket.terminate();
    },
  };
}
