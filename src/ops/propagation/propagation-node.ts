/** @module One node's propagation, built from the configuration: the status page and its routes, the subscriber file, the optional status listener, the fan-out. */

import type { Server } from "node:http";
import type { Config } from "../../config/config.js";
import { addressLimitKey, TrustedProxies } from "../../guard/client-address.js";
import { localSignups, remoteSignups, type TowerLink } from "../link/tower-api.js";
import { StatusPage } from "../status/status-page.js";
import { createStatusRoutes, type StatusRoutes } from "../status/status-routes.js";
import { startStatusServer, statusServerPort } from "../status/status-server.js";
import type { TowerFeed } from "../tower/model.js";
import { Propagation, type PropagationDeps, splitList } from "./propagation.js";
import type { SubscriberSignups } from "./subscriber-signups.js";
import { type SubscriberRecord, SubscriberStore } from "./subscriber-store.js";

/** The configuration keys propagation reads. */
export type PropagationConfig = Pick<
  Config,
  | "data"
  | "host"
  | "maxHttpBodyBytes"
  | "statusPort"
  | "statusLocale"
  | "staffWebhookUrls"
  | "staffSlackWebhookUrls"
  | "webhookSecret"
  | "webhookMaxAttempts"
  | "webhookRetryBaseMs"
  | "webhookTimeoutMs"
  | "webhookQueueLimit"
  | "webhookConcurrency"
  | "webhookPendingLimit"
  | "subscriberLimit"
  | "subscriberPrivateUrls"
  | "subscriberPendingLimit"
  | "subscriberConfirmTtlMs"
  | "subscriberConfirmIntervalMs"
  | "subscriberConfirmsPerHostPerHour"
  | "subscriptionsPerHourPerIp"
  | "subscriptionsPerMinute"
  | "staffChatConversation"
  | "trustedProxies"
>;

/** What the composition root holds: routes for the HTTP server, and `attach` for the tower. */
export interface PropagationNode {
  readonly routes: StatusRoutes;
  readonly page: StatusPage;
  readonly propagation: Propagation;
  /** The subscriber file, where the tower is. */
  readonly subscribers: SubscriberStore | undefined;
  /** The status listener's port when `statusPort` is set and the tower is here. */
  readonly statusPort: number | undefined;
  /** Spread this tower's changes (its snapshot is served at once). */
  attach(feed: TowerFeed): () => void;
  close(): Promise<void>;
}

/**
 * Where the tower is, seen from this process. `here`: in this process (a node alone, the
 * watcher, `haetae tower`, a cluster's leader): the subscriber file, the webhooks, the static
 * copies and the status listener are here. `elsewhere`: reached over `link` (a supervised node,
 * a cluster's follower): only what needs this process's sessions and chat store is here (the
 * page on the chat port, the banner, the staff chat), and sign-ups go over the link.
 */
export type TowerPlace = { tower: "here" } | { tower: "elsewhere"; link: Pick<TowerLink, "call"> };

/** Open the subscriber file (where the tower is), build the page and the fan-out, and start the status listener if configured. */
export async function startPropagation(
  config: PropagationConfig,
  deps: Pick<PropagationDeps, "ctx" | "sessions" | "onDelivery"> & {
    place?: TowerPlace;
    /** Hears every change to the subscriber file (a cluster's leader replicates them). */
    onSubscriberChange?: (record: SubscriberRecord) => void;
  },
): Promise<PropagationNode> {
  const place = deps.place ?? { tower: "here" };
  const here = place.tower === "here";
  const page = new StatusPage(config.data, config.statusLocale, undefined, { staticCopies: here });
  const subscribers = here
    ? new SubscriberStore(config.data, config.subscriberLimit, config.subscriberPendingLimit, deps.onSubscriberChange)
    : undefined;
  const propagation = new Propagation({
    ctx: deps.ctx,
    sessions: deps.sessions,
    onDelivery: deps.onDelivery,
    staffWebhooks: here,
    page,
    subscribers,
    options: {
      maxAttempts: config.webhookMaxAttempts,
      retryBaseMs: config.webhookRetryBaseMs,
      timeoutMs: config.webhookTimeoutMs,
      queueLimit: config.webhookQueueLimit,
      concurrency: config.webhookConcurrency,
      pendingLimit: config.webhookPendingLimit,
      staffWebhookUrls: splitList(config.staffWebhookUrls),
      staffSlackWebhookUrls: splitList(config.staffSlackWebhookUrls),
      webhookSecret: config.webhookSecret,
      signups: {
        perHourPerAddress: config.subscriptionsPerHourPerIp,
        perMinute: config.subscriptionsPerMinute,
        confirmTtlMs: config.subscriberConfirmTtlMs,
        confirmIntervalMs: config.subscriberConfirmIntervalMs,
        confirmsPerHostPerHour: config.subscriberConfirmsPerHostPerHour,
        allowPrivate: config.subscriberPrivateUrls,
      },
      staffChatConversation: config.staffChatConversation,
    },
  });
  const proxies = new TrustedProxies(config.trustedProxies);
  const routes = createStatusRoutes({
    page,
    signups:
      place.tower === "here"
        ? localSignups(propagation.signups as SubscriberSignups)
        : remoteSignups(place.link, config.subscriberPrivateUrls),
    maxBodyBytes: config.maxHttpBodyBytes,
    clientAddress: (req) => addressLimitKey(proxies.clientAddress(req)),
  });
  let server: Server | undefined;
  try {
    if (here && config.statusPort !== 0) server = await startStatusServer(routes, config.statusPort, config.host);
  } catch (error) {
    propagation.close();
    subscribers?.close();
    throw error;
  }
  return {
    routes,
    page,
    propagation,
    subscribers,
    statusPort: server ? statusServerPort(server) : undefined,
    attach(feed) {
      const off = propagation.attach(feed);
      // The status account and the staff conversation exist from the start, not from the first incident.
      propagation.staffChat
        ?.ensureTarget()
        .catch((error: Error) => console.warn(`staff chat: not ready yet (${error.message})`));
      return off;
    },
    async close() {
      propagation.close();
      if (server) {
        const closing = new Promise<void>((resolve) => server?.close(() => resolve()));
        server.closeAllConnections();
        await closing;
      }
      await page.flush();
      subscribers?.close();
    },
  };
}
