/** @module The server flags every benchmark starts its nodes with, so that set-up and one loopback address measure the server, not themselves. */

/**
 * Set-up registers every account from one address with one fixed password: the cheapest password
 * hash allowed, no strength check (a zxcvbn thread, tens of milliseconds each) and no login limit
 * per address, or set-up, not the server, would be what is measured. The node runs alone
 * (`--supervise false`): the process measured (its CPU profile, its event-loop lag) is the one
 * that serves, and no watcher takes the status port 8081.
 */
export const SETUP_FLAGS: readonly string[] = [
  "--supervise",
  "false",
  "--scrypt-log-n",
  "10",
  "--password-min-score",
  "0",
  "--logins-per-minute-per-ip",
  "1000000",
];

/**
 * A benchmark's few loopback addresses stand for thousands of clients' addresses: the per-address
 * limits would otherwise measure themselves. Per-connection and per-user limits and the overload
 * protection keep their defaults; they are part of what is measured.
 */
export const LOOPBACK_ADDRESS_FLAGS: readonly string[] = [
  "--ip-connections-per-second",
  "1000000",
  "--ip-connection-burst",
  "1000000",
  "--ip-requests-per-second",
  "10000000",
  "--ip-request-burst",
  "10000000",
];

/**
 * A few hundred accounts each sending hundreds a second from one loopback address: the
 * per-connection, per-account and per-address limits would cap a throughput run at their own
 * rates (50 sends/s per account is 10,000/s for 200 clients) instead of measuring the node.
 */
export const UNLIMITED_SEND_FLAGS: readonly string[] = [
  "--requests-per-second",
  "100000",
  "--request-burst",
  "100000",
  "--user-requests-per-second",
  "1000000",
  "--user-request-burst",
  "1000000",
  "--user-sends-per-second",
  "1000000",
  "--user-send-burst",
  "1000000",
  "--ip-requests-per-second",
  "10000000",
  "--ip-request-burst",
  "10000000",
];
