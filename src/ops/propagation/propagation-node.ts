/** @module One node's propagation, built from the configuration: the status page and its routes, the subscriber file, the optional status listener, the fan-out. */

import type { Server } from "node:http";
import type { Config } from "../../config/config.js";
import { addressLimitKey, TrustedProxies } from "../../guard/client-address.js";
import { StatusPage } from "../status/status-page.js";
import { createStatusRoutes, type StatusRoutes } from "../status/status-routes.js";
import { startStatusServer, statusServerPort } from "../status/status-server.js";
import type { TowerFeed } from "../tower/model.js";
import { Propagation, type PropagationDeps, splitList } from "./propagation.js";
import { SubscriberStore } from "./subscriber-store.js";
import type { DeliveryOutcome } from "./webhook-sender.js";

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
  readonly subscribers: SubscriberStore;
  /** The status listener's port when `statusPort` is set. */
  readonly statusPort: number | undefined;
  /** Spread this tower's changes (its snapshot is served at once). */
  attach(feed: TowerFeed): () => void;
  close(): Promise<void>;
}

/** Open the subscriber file, build the page and the fan-out, and start the status listener if configured. */
export async function startPropagation(
  config: PropagationConfig,
  deps: Pick<PropagationDeps, "ctx" | "bus" | "greetings"> & { onDelivery?: (outcome: DeliveryOutcome) => void },
): Promise<PropagationNode> {
  const page = new StatusPage(config.data, config.statusLocale);
  const subscribers = new SubscriberStore(config.data, config.subscriberLimit, config.subscriberPendingLimit);
  const propagation = new Propagation({
    ...deps,
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
    signups: propagation.signups,
    maxBodyBytes: config.maxHttpBodyBytes,
    clientAddress: (req) => addressLimitKey(proxies.clientAddress(req)),
  });
  let server: Server | undefined;
  try {
    if (config.statusPort !== 0) server = await startStatusServer(routes, config.statusPort, config.host);
  } catch (error) {
    propagation.close();
    subscribers.close();
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
      subscribers.close();
    },
  };
}
