/**
 * @module Link previews end to end: a local site served through the test-only allow setting,
 * the same address refused without it, previews live on every device and by sync, one fetch per
 * URL, images proxied, and every refusal (private redirects, huge, slow, non-HTML) leaving the
 * message without a preview.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PREVIEW_USER_AGENT } from "../../src/chat/link-preview/guarded-fetch.js";
import { feedEventSchema } from "../../src/protocol/event-schemas.js";
import type { Message } from "../../src/protocol/index.js";
import { acquaint, closeAll, createGroup, nextEvent, type Person, person, send, syncAll } from "../features/helpers.js";
import { loginDevice, RawClient, startTestServer, type TestServer } from "../harness.js";
import { type PageServer, startPageServer } from "./page-server.js";

const PREVIEWS_ON = { linkPreviews: true, linkPreviewTimeoutMs: 1500 };

async function historyOf(client: RawClient, conversationId: string): Promise<Message[]> {
  return (await client.ok<{ messages: Message[] }>("history", { conversationId })).messages;
}

describe("without the allow setting", () => {
  let site: PageServer;
  let server: TestServer;
  beforeAll(async () => {
    site = await startPageServer();
    server = await startTestServer(PREVIEWS_ON);
  });
  afterAll(async () => {
    await server?.stop();
    await site?.close();
  });

  it("refuses the local site: no request reaches it and the message gets no preview", async () => {
    const alice = await person(server, "lp_refuse");
    const g = await createGroup(alice.client, [alice.id]);
    const sent = await send(alice.client, g.id, `see ${site.origin}/og-refused`);
    await server.app.previews.idle();
    expect(site.seen).toEqual([]);
    expect(server.app.previews.counts.failed).toBe(1);
    expect((await historyOf(alice.client, g.id)).find((m) => m.seq === sent.seq)?.preview).toBeUndefined();
    await closeAll(alice.client);
  });
});

describe("with linkPreviewAllowPrivate for the local site", () => {
  let site: PageServer;
  let other: PageServer;
  let server: TestServer;
  let alice: Person;
  let bob: Person;
  let bobPhone: RawClient;
  let outsider: Person;
  let groupId: string;
  const routes: Parameters<typeof startPageServer>[1] = {};

  beforeAll(async () => {
    other = await startPageServer("127.0.0.2");
    site = await startPageServer("127.0.0.1", routes);
    const redirect = (to: string) => () => ({ status: 302, headers: { location: to } });
    Object.assign(routes, {
      "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
      "/to-private": redirect("http://10.0.0.1/"),
      "/to-other-loopback": redirect(`${other.origin}/og`),
      "/to-localhost": redirect(`http://localhost:${site.port}/og`),
      "/to-og": redirect("/og-redirected"),
      "/loop": redirect("/loop"),
      "/huge": () => ({ huge: 8 * 1024 * 1024 }),
      "/slow": () => ({ hang: true }),
      "/text": () => ({ headers: { "content-type": "text/plain" }, body: "<title>not html</title>" }),
      "/svg-image": () => ({
        body: '<meta property="og:title" content="Vector"><meta property="og:image" content="/i.svg">',
      }),
      "/i.svg": () => ({
        headers: { "content-type": "image/svg+xml" },
        body: '<svg xmlns="http://www.w3.org/2000/svg"/>',
      }),
      "/tricky": () => ({
        body: `<!-- <meta property="og:title" content="in a comment"> --><title>A &amp; B &#x27;quoted&#39; \u202Eevil\u202C\u0007</title>
<script>var s = '<meta property="og:description" content="from a script">';</script>
<meta name="description" content="${"long ".repeat(400)}">`,
      }),
    });
    server = await startTestServer({ ...PREVIEWS_ON, linkPreviewAllowPrivate: "127.0.0.1/32" });
    [alice, bob, outsider] = await Promise.all([
      person(server, "lp_alice"),
      person(server, "lp_bob"),
      person(server, "lp_out"),
    ]);
    await acquaint(alice, bob);
    groupId = (await createGroup(alice.client, [alice.id, bob.id])).id;
    bobPhone = await RawClient.connect(server.wsUrl, (await loginDevice(server.url, bob.username)).token);
  });
  afterAll(async () => {
    await closeAll(alice?.client, bob?.client, bobPhone, outsider?.client);
    await server?.stop();
    await site?.close();
    await other?.close();
  });

  /** Send `text` and wait until the previewer is done with it; the stored message after. */
  async function sendAndSettle(text: string): Promise<{ sent: Message; stored: Message }> {
    const sent = await send(alice.client, groupId, text);
    await server.app.previews.idle();
    const stored = (await historyOf(alice.client, groupId)).find((m) => m.seq === sent.seq) as Message;
    return { sent, stored };
  }

  it("fetches the page after the ack and brings its preview to every device live and by sync on a new device", async () => {
    const started = Date.now();
    const sent = await send(alice.client, groupId, `look at this (${site.origin}/og-first).`);
    expect(sent.preview).toBeUndefined();
    const onLaptop = await nextEvent(bob.client, "message.preview", (e) => e.seq === sent.seq);
    const onPhone = await nextEvent(bobPhone, "message.preview", (e) => e.seq === sent.seq);
    const onSender = await nextEvent(alice.client, "message.preview", (e) => e.seq === sent.seq);
    expect(Date.now() - started).toBeLessThan(10_000);
    const expected = {
      url: `${site.origin}/og-first`,
      title: "Title of /og-first",
      description: "About /og-first",
      siteName: "Local & Co",
      imageUrl: expect.stringMatching(/^\/api\/v1\/previews\/[0-9a-f-]{36}\/image$/),
    };
    for (const event of [onLaptop, onPhone, onSender]) {
      expect(feedEventSchema.safeParse(event).success).toBe(true);
      expect(event.message.preview).toEqual(expected);
      expect(event.message.text).toBe(sent.text);
    }
    // A device that was never online gets it from sync, and history shows it.
    const fresh = await RawClient.connect(server.wsUrl, (await loginDevice(server.url, bob.username, "tablet")).token);
    const { events } = await syncAll(fresh);
    const replayed = events.find((e) => e.type === "message.preview" && e.seq === sent.seq);
    expect(replayed && "message" in replayed ? replayed.message.preview : undefined).toEqual(expected);
    expect((await historyOf(fresh, groupId)).find((m) => m.seq === sent.seq)?.preview).toEqual(expected);
    await fresh.close();
    // The site saw the server's requests, with its User-Agent and no cookie nor credentials.
    for (const request of [...site.hits("/og-first"), ...site.hits("/photo.png")]) {
      expect(request.headers["user-agent"]).toBe(PREVIEW_USER_AGENT);
      expect(request.headers.cookie).toBeUndefined();
      expect(request.headers.authorization).toBeUndefined();
    }
  });

  it("fetches one URL once for two messages, and serves its image to members only through the server", async () => {
    const before = site.hits("/photo.png").length;
    const first = await sendAndSettle(`${site.origin}/og-cached`);
    const second = await sendAndSettle(`again: ${site.origin}/og-cached#part`);
    expect(site.hits("/og-cached")).toHaveLength(1);
    expect(second.stored.preview).toEqual({ ...first.stored.preview });
    const imageUrl = first.stored.preview?.imageUrl as string;
    const imagesFetched = site.hits("/photo.png").length;
    expect(imagesFetched).toBe(before + 1);

    const read = (token: string) =>
      fetch(`${server.url}${imageUrl}`, { headers: { authorization: `Bearer ${token}` } });
    const res = await read(bob.auth.token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/webp");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("sandbox");
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(8, 12).toString()).toBe("WEBP");
    // The reader's request never reached the linked site: no new request there.
    expect(site.hits("/photo.png").length).toBe(imagesFetched);
    const refused = await read(outsider.auth.token);
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("not_found");
    expect((await fetch(`${server.url}${imageUrl}`)).status).toBe(401);
  });

  it.each([
    ["/to-metadata", "a redirect to the cloud metadata address"],
    ["/to-private", "a redirect to a private address"],
    ["/to-other-loopback", "a redirect to a loopback address outside the allow setting"],
    ["/to-localhost", "a redirect to the name localhost"],
    ["/loop", "more than three redirects"],
    ["/slow", "a page slower than linkPreviewTimeoutMs"],
    ["/text", "a page that is not HTML"],
  ])("leaves no preview for %s (%s)", async (path) => {
    const failed = server.app.previews.counts.failed;
    const { stored } = await sendAndSettle(`${site.origin}${path}`);
    expect(stored.preview).toBeUndefined();
    expect(server.app.previews.counts.failed).toBe(failed + 1);
    expect(other.seen).toEqual([]);
  });

  it("caches a failure too: the same failing link again makes no second request", async () => {
    const before = site.hits("/text").length;
    expect(before).toBe(1);
    const { stored } = await sendAndSettle(`${site.origin}/text`);
    expect(stored.preview).toBeUndefined();
    expect(site.hits("/text")).toHaveLength(1);
  });

  it("follows a redirect on the allowed site, reads only the start of a huge page, and takes no SVG image", async () => {
    expect((await sendAndSettle(`${site.origin}/to-og`)).stored.preview?.title).toBe("Title of /og-redirected");
    const huge = (await sendAndSettle(`${site.origin}/huge`)).stored.preview;
    expect(huge?.title).toBe("Huge page");
    expect(site.cut).toContain("/huge");
    const vector = (await sendAndSettle(`${site.origin}/svg-image`)).stored.preview;
    expect(vector).toEqual({ url: `${site.origin}/svg-image`, title: "Vector" });
  });

  it("decodes entities, drops control and bidi characters, ignores comments and scripts, caps long fields", async () => {
    const preview = (await sendAndSettle(`${site.origin}/tricky`)).stored.preview;
    expect(preview?.title).toBe("A & B 'quoted' evil");
    expect([...(preview?.description ?? "")].length).toBeLessThanOrEqual(1000);
    expect(preview?.description?.endsWith("…")).toBe(true);
  });

  it("drops the preview with a delete for everyone, and after an edit to another link shows that link's", async () => {
    const { sent, stored } = await sendAndSettle(`${site.origin}/og-edit-a`);
    expect(stored.preview?.title).toBe("Title of /og-edit-a");
    const edited = await alice.client.ok<{ message: Message }>("message.edit", {
      conversationId: groupId,
      seq: sent.seq,
      text: `now ${site.origin}/og-edit-b`,
    });
    expect(edited.message.preview).toBeUndefined();
    const arrived = await nextEvent(
      bob.client,
      "message.preview",
      (e) => e.message.preview?.title === "Title of /og-edit-b",
    );
    expect(arrived.seq).toBe(sent.seq);
    // An edit that keeps the link keeps the preview.
    const same = await alice.client.ok<{ message: Message }>("message.edit", {
      conversationId: groupId,
      seq: sent.seq,
      text: `still ${site.origin}/og-edit-b`,
    });
    expect(same.message.preview?.title).toBe("Title of /og-edit-b");
    const imageUrl = same.message.preview?.imageUrl as string;
    await alice.client.ok("message.delete", { conversationId: groupId, seq: sent.seq });
    const gone = (await historyOf(bob.client, groupId)).find((m) => m.seq === sent.seq);
    expect(gone?.preview).toBeUndefined();
    // The image is still readable through the other messages with that link only; none here.
    const res = await fetch(`${server.url}${imageUrl}`, { headers: { authorization: `Bearer ${bob.auth.token}` } });
    expect(res.status).toBe(404);
  });

  it("acks a send at once while its link's page hangs, as fast as a send without a link", async () => {
    const timed = async (text: string) => {
      const started = performance.now();
      await send(alice.client, groupId, text);
      return performance.now() - started;
    };
    const plain: number[] = [];
    const linked: number[] = [];
    for (let i = 0; i < 10; i++) {
      plain.push(await timed(`plain ${i}`));
      linked.push(await timed(`${site.origin}/slow?n=${i}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    console.log(
      `send ack median: ${median(plain).toFixed(1)} ms plain, ${median(linked).toFixed(1)} ms with a hanging link`,
    );
    // The fetches are still hanging (linkPreviewTimeoutMs 1500) when every ack is back.
    expect(Math.max(...linked)).toBeLessThan(500);
    expect(median(linked)).toBeLessThan(median(plain) * 3 + 5);
    await server.app.previews.idle();
  });

  it("sheds previews under load: at level 1 a new link is not fetched", async () => {
    const shed = server.app.previews.counts.shed;
    server.app.load.pin(1);
    try {
      const { stored } = await sendAndSettle(`${site.origin}/og-shed`);
      expect(stored.preview).toBeUndefined();
    } finally {
      server.app.load.pin(0);
    }
    expect(server.app.previews.counts.shed).toBe(shed + 1);
    expect(site.hits("/og-shed")).toEqual([]);
  });
});
