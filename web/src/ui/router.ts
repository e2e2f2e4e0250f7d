/** @module Client-side routes on the History API: paths, links and the hook that follows them. */
import { useEffect, useState } from "preact/hooks";

/** Every screen the signed-in app has. */
export type Route =
  | { name: "chats" }
  | { name: "chat"; id: string }
  | { name: "info"; id: string }
  | { name: "join"; token: string }
  | { name: "new" }
  | { name: "contacts" }
  | { name: "devices" }
  | { name: "settings" };

const NAVIGATE = "haetae:navigate";

/** The route of a path; unknown paths show the chat list. */
export function parseRoute(pathname: string): Route {
  const chat = /^\/c\/([^/]+)\/?$/.exec(pathname);
  if (chat?.[1]) return { name: "chat", id: decodeURIComponent(chat[1]) };
  const info = /^\/c\/([^/]+)\/info\/?$/.exec(pathname);
  if (info?.[1]) return { name: "info", id: decodeURIComponent(info[1]) };
  const join = /^\/join\/([A-Za-z0-9_-]+)\/?$/.exec(pathname);
  if (join?.[1]) return { name: "join", token: join[1] };
  const name = pathname.replace(/^\/|\/$/g, "");
  if (name === "new" || name === "contacts" || name === "devices" || name === "settings") return { name };
  return { name: "chats" };
}

/** The path of a route. */
export function pathOf(route: Route): string {
  if (route.name === "info") return `/c/${encodeURIComponent(route.id)}/info`;
  if (route.name === "join") return `/join/${route.token}`;
  return route.name === "chat" ? `/c/${encodeURIComponent(route.id)}` : route.name === "chats" ? "/" : `/${route.name}`;
}

/** Go to a path without reloading. */
export function navigate(path: string, replace = false): void {
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  window.dispatchEvent(new Event(NAVIGATE));
}

/** A click handler for an `<a href>`: stays in the app unless the user asked for a new tab. */
export function onLinkClick(event: MouseEvent): void {
  const anchor = event.currentTarget as HTMLAnchorElement;
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(anchor.pathname);
}

/** The current route; re-renders on back/forward and on {@link navigate}. */
export function useRoute(): Route {
  return parseRoute(usePathname());
}

/** The current path; re-renders on back/forward and on {@link navigate} (the console routes on it). */
export function usePathname(): string {
  const [path, setPath] = useState(() => location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    window.addEventListener("popstate", update);
    window.addEventListener(NAVIGATE, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(NAVIGATE, update);
    };
  }, []);
  return path;
}
