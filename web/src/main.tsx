/** @module Entry point: mounts the app and registers the service worker that keeps the app shell offline. */
import { render } from "preact";
import "./styles/base.css";
import "./styles/shell.css";
import "./styles/list.css";
import "./styles/chat.css";
import "./styles/pages.css";
import "./styles/search.css";
import { App } from "./ui/app.js";

render(<App />, document.getElementById("app") as HTMLElement);

if (import.meta.env.PROD && "serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch((error: unknown) => {
    // The app works without it; only opening with no network does not.
    console.warn("haetae: service worker not registered:", error);
  });
}
