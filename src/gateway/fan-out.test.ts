/** @module Fan-out alone: a bus message reaches every session of its audience and no one else; a block ends presence subscriptions both ways, a removed contact the removed one's. */
import { expect, it } from "vitest";
import { FanOut } from "./fan-out.js";
import type { Session } from "./session.js";

function fakeSession(userId: string, deviceId = `${userId}-device`) {
  const received: { frame: string; ephemeral: boolean }[] = [];
  const session = {
    userId,
    deviceId,
    presenceSubscriptions: new Set<string>(),
    presenceRefused: new Set<string>(),
    received,
    send(frame: string | Buffer, ephemeral = false) {
      received.push({ frame: frame.toString(), ephemeral });
      return true;
    },
  };
  return session as typeof session & Session;
}

it("hands a message to every session of its audience, and an everyone message to all", () => {
  const fanOut = new FanOut();
  const [alicePhone, aliceLaptop, bob, carol] = [
    fakeSession("alice", "phone"),
    fakeSession("alice", "laptop"),
    fakeSession("bob"),
    fakeSession("carol"),
  ];
  for (const session of [alicePhone, aliceLaptop, bob, carol]) fanOut.add(session);
  fanOut.deliver({ audience: ["alice", "bob", "nobody-here"], frame: '{"type":"x"}', ephemeral: true });
  expect([alicePhone, aliceLaptop, bob].map((s) => s.received)).toEqual(
    Array(3).fill([{ frame: '{"type":"x"}', ephemeral: true }]),
  );
  expect(carol.received).toEqual([]);
  fanOut.remove(aliceLaptop);
  expect(fanOut.size).toBe(3);
  fanOut.deliver({ audience: [], frame: '{"type":"banner"}', ephemeral: false, everyone: true });
  expect(aliceLaptop.received).toHaveLength(1);
  expect(carol.received).toEqual([{ frame: '{"type":"banner"}', ephemeral: false }]);
});

it("ends the presence subscriptions between the two users of a block, both ways, and no others", () => {
  const fanOut = new FanOut();
  const [alice, bob] = [fakeSession("alice"), fakeSession("bob")];
  fanOut.add(alice);
  fanOut.add(bob);
  alice.presenceSubscriptions.add("bob").add("carol");
  bob.presenceSubscriptions.add("alice");
  fanOut.control({ kind: "block", userId: "alice", blockedId: "bob" });
  expect([...alice.presenceSubscriptions]).toEqual(["carol"]);
  expect([...bob.presenceSubscriptions]).toEqual([]);
});

it("ends the removed contact's subscription to the remover only, and remembers it as refused", () => {
  const fanOut = new FanOut();
  const [alice, bob] = [fakeSession("alice"), fakeSession("bob")];
  fanOut.add(alice);
  fanOut.add(bob);
  alice.presenceSubscriptions.add("bob");
  bob.presenceSubscriptions.add("alice").add("carol");
  bob.presenceRefused.add("dora");
  // Alice removes Bob: Bob no longer sees Alice; Alice still sees Bob (his list is unchanged).
  fanOut.control({ kind: "contact.removed", userId: "alice", contactId: "bob" });
  expect([...bob.presenceSubscriptions]).toEqual(["carol"]);
  expect([...bob.presenceRefused].sort()).toEqual(["alice", "dora"]);
  expect([...alice.presenceSubscriptions]).toEqual(["bob"]);
  // A block forgets the ask as well.
  fanOut.control({ kind: "block", userId: "alice", blockedId: "bob" });
  expect([...bob.presenceRefused]).toEqual(["dora"]);
});
