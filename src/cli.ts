/** @module The `haetae` command line: `haetae serve [flags]`. */
import { startApp } from "./app.js";
import { CONFIG_KEYS, ConfigError, envName, flagName, loadConfig } from "./config/config.js";

const USAGE = `Usage: haetae serve [--config file.json] [flags]

Flags (each also an environment variable; flags win over environment, environment over file):
${CONFIG_KEYS.map((key) => `  --${flagName(key).padEnd(28)} ${envName(key)}`).join("\n")}

See docs/config.md for what each one means and its default.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== "serve") {
    console.error(`haetae: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(rest, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`haetae: ${error.message}`);
      return 2;
    }
    throw error;
  }
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
