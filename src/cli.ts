/** @module The `haetae` command line: `haetae serve [flags]`, `haetae role <username> <role> [flags]`. */
import { openStore, startApp } from "./app.js";
import { CONFIG_KEYS, ConfigError, envName, flagName, loadConfig } from "./config/config.js";
import { USER_ROLES, type UserRole } from "./protocol/index.js";

const USAGE = `Usage: haetae serve [--config file.json] [flags]
       haetae role <username> <user|staff|admin> [--config file.json] [flags]
         (sets a user's role in the store that serve would open with the same flags)

Flags (each also an environment variable; flags win over environment, environment over file):
${CONFIG_KEYS.map((key) => `  --${flagName(key).padEnd(28)} ${envName(key)}`).join("\n")}

See docs/config.md for what each one means and its default.`;

/** The configuration from these flags and the environment, or null after printing why not. */
function configOrNull(argv: string[]): ReturnType<typeof loadConfig> | null {
  try {
    return loadConfig(argv, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`haetae: ${error.message}`);
      return null;
    }
    throw error;
  }
}

/** `haetae role <username> <role>`: the way to name staff without the ops API (which needs a staff role). */
async function setRole(argv: string[]): Promise<number> {
  const [username, role, ...flags] = argv;
  if (!username || !role || !(USER_ROLES as readonly string[]).includes(role)) {
    console.error(`haetae: role needs a username and one of ${USER_ROLES.join(", ")}\n\n${USAGE}`);
    return 2;
  }
  const config = configOrNull(flags);
  if (!config) return 2;
  const store = await openStore(config);
  try {
    const user = await store.setRole(username.trim().toLowerCase(), role as UserRole);
    if (!user) {
      console.error(`haetae: there is no user "${username}"`);
      return 1;
    }
    console.log(`haetae: ${user.username} is now ${user.role}`);
    return 0;
  } finally {
    await store.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "role") return setRole(rest);
  if (command !== "serve") {
    console.error(`haetae: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const config = configOrNull(rest);
  if (!config) return 2;
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp(config);
  } catch (error) {
    console.error(`haetae: cannot start: ${(error as Error).message}`);
    return 1;
  }
  console.log(
    `haetae listening on ${app.url} (store ${config.store === "sqlite" ? `sqlite in ${config.data}` : "postgres"}, bus ${config.bus})`,
  );
  const shutdown = (signal: string) => {
    console.log(`haetae: ${signal}, shutting down`);
    const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs);
    force.unref();
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("haetae: shutdown failed:", error);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    console.error("haetae: fatal:", error);
    process.exit(1);
  },
);
