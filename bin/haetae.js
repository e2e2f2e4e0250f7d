#!/usr/bin/env -S node --max-semi-space-size=32 --expose-gc
// The flags on the line above: bench/server-node-flags.ts says why (a larger young generation, given back when idle).
// The `haetae` command: runs the compiled CLI, bundled (`npm run build` makes dist/bundle/).
import "../dist/bundle/cli.js";
