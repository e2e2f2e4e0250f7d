/** @module The console's layout: a header with the sections and who is signed in, and the screen of the current path. */
import { LanguageSelect } from "../ui/language-select.js";
import { onLinkClick, usePathname } from "../ui/router.js";
import { AccessScreen } from "./access-screen.js";
import { AlertsScreen } from "./alerts-screen.js";
import { ComponentsScreen } from "./components-screen.js";
import { type ConsoleKey, ct } from "./console-text.js";
import { FiguresScreen } from "./figures-screen.js";
import { IncidentScreen } from "./incident-screen.js";
import { IncidentsScreen } from "./incidents-screen.js";
import { LogsScreen } from "./logs-screen.js";
import { useConsole } from "./use-ops.js";

/** The console's sections, in the order an on-call engineer reaches for them. */
const SECTIONS: { path: string; label: ConsoleKey }[] = [
  { path: "/console", label: "nav.incidents" },
  { path: "/console/alerts", label: "nav.alerts" },
  { path: "/console/components", label: "nav.components" },
  { path: "/console/logs", label: "nav.logs" },
  { path: "/console/figures", label: "nav.figures" },
];

/** Only admins may set roles: the section is shown to them (the server checks it again). */
const ADMIN_SECTIONS: typeof SECTIONS = [{ path: "/console/access", label: "nav.access" }];

/** The screen for a path; unknown console paths show the incidents. */
function Screen({ path }: { path: string }) {
  const incident = /^\/console\/incidents\/([^/]+)\/?$/.exec(path);
  if (incident?.[1]) {
    const id = decodeURIComponent(incident[1]);
    return <IncidentScreen key={id} id={id} />;
  }
  switch (path.replace(/\/$/, "")) {
    case "/console/alerts":
      return <AlertsScreen />;
    case "/console/components":
      return <ComponentsScreen />;
    case "/console/logs":
      return <LogsScreen />;
    case "/console/figures":
      return <FiguresScreen />;
    case "/console/access":
      return <AccessScreen />;
    default:
      return <IncidentsScreen />;
  }
}

/** Which section a path belongs to (an incident's page is under incidents). */
function sectionOf(path: string): string {
  const match = [...SECTIONS, ...ADMIN_SECTIONS].find((s) => s.path !== "/console" && path.startsWith(s.path));
  return match?.path ?? "/console";
}

export function ConsoleShell({ onSignOut }: { onSignOut(): void }) {
  const { actor } = useConsole();
  const path = usePathname();
  const current = sectionOf(path);
  const sections = actor.role === "admin" ? [...SECTIONS, ...ADMIN_SECTIONS] : SECTIONS;
  return (
    <div class="console">
      <a class="skip" href="#console-main">
        {ct("skip")}
      </a>
      <header class="console-bar">
        <h1 class="brand">
          <img src="/icon.svg" alt="" width="28" height="28" />
          {ct("app.title")}
        </h1>
        <nav aria-label={ct("nav.label")}>
          <ul>
            {sections.map((s) => (
              <li key={s.path}>
                <a href={s.path} onClick={onLinkClick} aria-current={s.path === current ? "page" : undefined}>
                  {ct(s.label)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            @{actor.username} <span class="tag">{ct(`role.${actor.role}` as ConsoleKey)}</span>
          </span>
          <LanguageSelect />
          <button type="button" class="quiet" onClick={onSignOut}>
            {ct("signOut")}
          </button>
        </div>
      </header>
      <main id="console-main" class="console-main" tabIndex={-1}>
        <Screen path={path} />
      </main>
    </div>
  );
}
