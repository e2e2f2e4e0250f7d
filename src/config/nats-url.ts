/**
 * @module The syntax of a `nats://` bus URL: one server or a cluster's servers, comma-separated
 * (`nats://h1:4222,h2:4222,h3:4222?prefix=name`), checked by the config schema and read by the
 * NATS bus and the tower's link alike, with the connection options both use.
 */

/** A bus URL cut into the servers to try (`host:port`) and the subject prefix of this cluster. */
export interface NatsUrl {
  servers: string[];
  prefix: string;
}

/**
 * Parse `url`; throws with the part that is wrong. The WHATWG URL parser refuses a list of
 * hosts, so the authority is split by hand, each entry `host[:port]` (port 4222 when left out,
 * IPv6 in brackets); credentials are not taken (NATS's own auth settings are not supported).
 */
export function parseNatsUrl(url: string): NatsUrl {
  const match = /^nats:\/\/([^/?#]*)\/?(?:\?([^#]*))?$/.exec(url);
  if (!match) throw new Error("bus: must be a nats://host:port URL");
  const servers = (match[1] ?? "").split(",").map((entry) => {
    const hostPort = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(entry);
    if (!hostPort) throw new Error(`bus: "${entry}" is not a host[:port] in the bus URL`);
    return `${hostPort[1]}:${hostPort[2] ?? "4222"}`;
  });
  const prefix = new URLSearchParams(match[2] ?? "").get("prefix") ?? "haetae";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(prefix)) throw new Error("bus: the prefix parameter must be a plain token");
  return { servers, prefix };
}

/** True when `url` is a bus URL {@link parseNatsUrl} takes. */
export function isNatsUrl(url: string): boolean {
  try {
    parseNatsUrl(url);
    return true;
  } catch {
    return false;
  }
}

/**
 * How every NATS connection of a node connects to the bus at `url`: the servers of the URL,
 * reconnecting for ever (250 ms apart, with as much jitter), a ping every 5 s and two missed
 * pongs to call the server gone, 3 s to connect. The chat bus and the tower's link open one
 * connection each with these options.
 */
export function natsConnectOptions(url: string, name: string) {
  return {
    servers: parseNatsUrl(url).servers,
    name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 250,
    pingInterval: 5000,
    maxPingOut: 2,
    timeout: 3000,
  };
}
