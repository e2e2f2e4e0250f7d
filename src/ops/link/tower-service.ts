/** @module The tower as a service of its own: the tower, its sign-ups, webhooks, static copies and status listener, and the host that answers linked nodes. The watcher, `haetae tower` and a cluster's leader each run one. */
import type { Registry } from "prom-client";
import type { Config } from "../../config/config.js";
import { type PropagationConfig, type PropagationNode, startPropagation } from "../propagation/propagation-node.js";
import type { SubscriberSignups } from "../propagation/subscriber-signups.js";
import type { SubscriberRecord } from "../propagation/subscriber-store.js";
import type { SliRecorder } from "../sli-recorder.js";
import type { OpsRecord } from "../tower/ops-store.js";
import type { PageIdentity } from "../tower/page-identity.js";
import { Tower, type TowerConfig } from "../tower/tower.js";
import { localSignups } from "./tower-api.js";
import { TowerHost } from "./tower-host.js";

export interface TowerServiceOptions {
  /** SLI events of the watched nodes (reported over the link) and of this process's own probes. */
  sli: SliRecorder;
  /** The page id and components' creation times (`claimPageIdentity`). */
  identity: PageIdentity;
  registry?: Registry;
  now?: () => Date;
  /** Hears every document the tower saves (a cluster's leader replicates them to the other nodes). */
  onSave?: (record: OpsRecord) => void;
  /** Hears every change to the subscriber file (replicated with the documents). */
  onSubscriberChange?: (record: SubscriberRecord) => void;
}

/** A running tower service. */
export interface TowerService {
  readonly tower: Tower;
  /** What a transport serves to linked nodes. */
  readonly host: TowerHost;
  /** Status page, sign-ups, staff and subscriber webhooks; `statusPort` is its listener's port. */
  readonly propagation: PropagationNode;
  close(): Promise<void>;
}

/**
 * Start the tower with everything that goes out from where it runs. It reads and writes only its
 * own folder (`ops.sqlite`, the subscriber file, the static copies), never the chat store, so it
 * keeps telling the truth while the chat process or the store is what is broken.
 */
export async function startTowerService(
  config: TowerConfig & PropagationConfig & Pick<Config, "publicUrl">,
  options: TowerServiceOptions,
): Promise<TowerService> {
  const tower = new Tower({
    dataDir: config.data,
    sli: options.sli,
    config,
    registry: options.registry,
    identity: options.identity,
    now: options.now,
    onSave: options.onSave,
  });
  if (config.publicUrl !== "") tower.setPage({ url: config.publicUrl.replace(/\/+$/, "") });
  let propagation: PropagationNode;
  try {
    propagation = await startPropagation(config, { onSubscriberChange: options.onSubscriberChange });
  } catch (error) {
    tower.close();
    throw error;
  }
  propagation.attach(tower);
  const host = new TowerHost({
    tower,
    sli: options.sli,
    signups: localSignups(propagation.propagation.signups as SubscriberSignups),
  });
  return {
    tower,
    host,
    propagation,
    async close() {
      await propagation.close();
      tower.close();
    },
  };
}
