/** @module Entry point of the staff console (`/console`): mounts it; no service worker, the console is only useful online. */
import { render } from "preact";
import "../styles/base.css";
import "../styles/console.css";
import { ConsoleApp } from "./console-app.js";

render(<ConsoleApp />, document.getElementById("app") as HTMLElement);
