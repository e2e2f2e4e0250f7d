/** @module A push is judged by the device's attention when the message reached it: a tab that hid while the push waited in the queue (and notified by itself) gets no second notification by push. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAll, createDirect, nextEvent, type Person, person, send } from "../features/helpers.js";
import { addContactOf, startTestServer, type TestServer } from "../harness.js";
import { PushReceiver } from "./push-receiver.js";

describe("push by attention at delivery", () => {
  let server: TestServer;
  let receiver: PushReceiver;
  let alice: Person;
  let bob: Person;
  let carol: Person;

  beforeAll(async () => {
    receiver = await PushReceiver.start();
    // One push at a time: a slow push to Carol holds Bob's in the queue.
    server = await startTestServer({ pushPrivateEndpoints: true, pushConcurrency: 1 });
    alice = await person(server, "aalice");
    bob = await person(server, "abob");
    carol = await person(server, "acarol");
    await addContactOf(server, alice.id, [bob.id, carol.id]);
  });
  afterAll(async () => {
    await closeAll(alice.client, bob.client, carol.client);
    await server.stop();
    await receiver.close();
  });

  it("skips a device that was shown when the message reached it and hid while the push waited; pushes the next one", async () => {
    const toBob = await createDirect(alice.client, bob.id);
    const toCarol = await createDirect(alice.client, carol.id);
    const bobBrowser = receiver.subscription();
    await bob.client.ok("push.subscribe", { endpoint: bobBrowser.endpoint, keys: bobBrowser.keys });
    const carolBrowser = receiver.subscription();
    await carol.client.ok("push.subscribe", { endpoint: carolBrowser.endpoint, keys: carolBrowser.keys });
    await alice.client.ok("presence.subscribe", { userIds: [carol.id] });
    await carol.client.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === carol.id && !p.online);

    receiver.delayMs = 1500;
    await send(alice.client, toCarol.id, "a slow push service");
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Bob's tab is shown when the message reaches it, and hides before its push's turn comes.
    const message = await send(alice.client, toBob.id, "the instant the tab hides");
    await nextEvent(bob.client, "message.new", (e) => e.message.id === message.id);
    await bob.client.ok("session.visibility", { visible: false });
    await server.app.pushes.settled();
    expect(receiver.to(carolBrowser.endpoint)).toHaveLength(1);
    expect(receiver.to(bobBrowser.endpoint)).toEqual([]);

    // Hidden before the next message: that one is the push's.
    receiver.delayMs = 0;
    const next = await send(alice.client, toBob.id, "now the tab is hidden");
    await server.app.pushes.settled();
    expect(receiver.to(bobBrowser.endpoint).map((push) => push.json.seq)).toEqual([next.seq]);
  });
});
