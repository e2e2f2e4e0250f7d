/**
 * @module The per-connection send queue's bound, on a socket whose buffer the test controls: on this
 * machine loopback's kernel buffers absorb more than 60 MB before a real socket pushes back, so
 * the bound is exercised here rather than by filling the kernel.
 */
import { expect, it } from "vitest";
import type { WebSocket } from "ws";
import { CLOSE_CODES } from "../protocol/index.js";
import { Session } from "./session.js";

function fakeSocket() {
  const socket = {
    OPEN: 1,
    CONNECTING: 0,
    readyState: 1,
    bufferedAmount: 0,
    sent: [] as string[],
    closed: undefined as number | undefined,
    send(frame: string) {
      socket.sent.push(frame);
      socket.bufferedAmount += frame.length;
    },
    close(code: number) {
      socket.closed = code;
      socket.readyState = 2;
    },
  };
  return socket;
}

it("drops ephemeral frames past half the bound and cuts the reader past the bound, with 4001", () => {
  const socket = fakeSocket();
  const shed: boolean[] = [];
  const user = { id: "u", username: "u", displayName: "u", createdAt: "t" };
  const session = new Session("s", user, "d", socket as unknown as WebSocket, 1000, (ephemeral) =>
    shed.push(ephemeral),
  );
  const frame = "x".repeat(300);
  expect(session.send(frame)).toBe(true);
  expect(session.send(frame)).toBe(true); // 600 buffered
  expect(session.send(frame, true)).toBe(false); // typing past half: shed
  expect(session.send(frame)).toBe(true); // 900: a feed event still goes
  expect(session.send(frame)).toBe(true); // 900 ≤ 1000 when checked
  expect(session.send(frame)).toBe(false); // 1200 > 1000: cut
  expect(socket.closed).toBe(CLOSE_CODES.slowConsumer);
  expect(session.send(frame)).toBe(false); // nothing more is queued for a closed reader
  expect(socket.sent).toHaveLength(4);
  expect(shed).toEqual([true, false]);
});

it("corks the TCP socket for one turn of the event loop, so that turn's frames leave in one write", async () => {
  const socket = fakeSocket();
  const tcp = {
    corked: 0,
    corks: 0,
    cork() {
      tcp.corked += 1;
      tcp.corks += 1;
    },
    uncork() {
      tcp.corked -= 1;
    },
  };
  Object.assign(socket, { _socket: tcp });
  const user = { id: "u", username: "u", displayName: "u", createdAt: "t" };
  const session = new Session("s", user, "d", socket as unknown as WebSocket, 1 << 20, () => undefined);
  session.send("one");
  await Promise.resolve(); // a promise continuation of the same turn
  session.send("two");
  expect([tcp.corks, tcp.corked]).toEqual([1, 1]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(tcp.corked).toBe(0); // nothing is held past the turn
  session.send("three");
  expect(tcp.corks).toBe(2);
  expect(socket.sent).toEqual(["one", "two", "three"]);
});
