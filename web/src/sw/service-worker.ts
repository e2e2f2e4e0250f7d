/** @module The service worker: keeps the app shell so the client opens with no network, and shows Web Push notifications (a click opens the chat); never touches the API or the socket. */

// The DOM library has no service-worker types; these are the few members used here.
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response> | Response): void;
}
interface PushEvent extends ExtendableEvent {
  readonly data: { json(): unknown } | null;
}
interface NotificationEvent extends ExtendableEvent {
  readonly notification: Notification;
}
interface WindowClient {
  readonly url: string;
  focus(): Promise<WindowClient>;
  navigate(url: string): Promise<WindowClient | null>;
}
interface WorkerScope {
  skipWaiting(): Promise<void>;
  clients: {
    claim(): Promise<void>;
    matchAll(options: { type: "window"; includeUncontrolled: boolean }): Promise<WindowClient[]>;
    openWindow(url: string): Promise<WindowClient | null>;
  };
  registration: { showNotification(title: string, options: NotificationOptions & { data?: unknown }): Promise<void> };
  addEventListener(type: "install" | "activate", listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: "fetch", listener: (event: FetchEvent) => void): void;
  addEventListener(type: "push", listener: (event: PushEvent) => void): void;
  addEventListener(type: "notificationclick", listener: (event: NotificationEvent) => void): void;
}

const scope = self as unknown as WorkerScope;

/** Replaced at build time (web/build/service-worker.ts): this build's shell files and their hash. */
const PRECACHE: string[] = "__PRECACHE__" as unknown as string[];
const VERSION: string = "__VERSION__";
const CACHE = `haetae-shell-${VERSION}`;

/** A page load waits this long for the network before the cached shell is used. */
const NAVIGATION_TIMEOUT_MS = 3000;

scope.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => scope.skipWaiting()),
  );
});

scope.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names.filter((name) => name.startsWith("haetae-shell-") && name !== CACHE).map((n) => caches.delete(n)),
        ),
      )
      .then(() => scope.clients.claim()),
  );
});

scope.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // The API, the socket and the operator endpoints always go to the network: a cached answer
  // there would be a lie about the server's state.
  if (request.method !== "GET" || url.origin !== location.origin || isServerPath(url.pathname)) return;
  if (isOtherPage(url.pathname)) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request));
  } else if (PRECACHE.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit ?? fetch(request)));
  }
});

function isServerPath(path: string): boolean {
  return path.startsWith("/api/") || path === "/healthz" || path === "/readyz" || path === "/metrics";
}

/**
 * Pages that are not the chat app: the staff console and the public status page. The cached chat
 * shell must never stand in for them when the network fails (a status page showing a chat login
 * during an outage would hide the outage); the browser's own error page is the honest answer.
 */
function isOtherPage(path: string): boolean {
  return ["/console", "/status"].some(
    (page) => path === page || path.startsWith(`${page}/`) || path === `${page}.html`,
  );
}

/**
 * A page load: the network (so a deploy shows at once) unless it fails or is slow, then the
 * cached index.html, which routes on the client for any path.
 */
async function networkFirst(request: Request): Promise<Response> {
  const cached = () => caches.match("/").then((hit) => hit ?? Response.error());
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("slow")), NAVIGATION_TIMEOUT_MS)),
    ]);
    // A server that is down behind a proxy answers 502/503: the shell still works from cache.
    return response.status >= 500 ? await cached() : response;
  } catch {
    return cached();
  }
}

/** The push payload the server sends (src/protocol/notifications.ts `PushPayload`). */
interface PushPayload {
  conversationId: string;
  seq: number;
  title: string;
  body?: string;
}

/** What a notification says when the user hides message text; the worker has no dictionary of its own. */
function newMessageText(): string {
  return navigator.language.toLowerCase().startsWith("ko") ? "새 메시지" : "New message";
}

scope.addEventListener("push", (event) => {
  let payload: PushPayload | undefined;
  try {
    payload = event.data?.json() as PushPayload | undefined;
  } catch {
    payload = undefined;
  }
  if (!payload || typeof payload.conversationId !== "string") return;
  const { conversationId, seq } = payload;
  event.waitUntil(
    scope.registration.showNotification(payload.title || "Haetae", {
      body: payload.body ?? newMessageText(),
      // One notification per chat: a newer message replaces the older one's.
      tag: `chat:${conversationId}`,
      icon: "/icon-192.png",
      data: { conversationId, seq },
    }),
  );
});

scope.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data as { conversationId?: unknown } | null;
  const path = typeof data?.conversationId === "string" ? `/c/${encodeURIComponent(data.conversationId)}` : "/";
  event.waitUntil(
    (async () => {
      // An open window of the app goes to the chat; otherwise a new one opens there.
      const windows = await scope.clients.matchAll({ type: "window", includeUncontrolled: true });
      const mine = windows.find((w) => new URL(w.url).origin === location.origin);
      if (mine) {
        await mine.focus();
        await mine.navigate(path).catch(() => null);
      } else {
        await scope.clients.openWindow(path);
      }
    })(),
  );
});
