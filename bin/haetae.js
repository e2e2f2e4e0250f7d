#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=32 --expose-gc
// The flags and the allocator setting on the line above: bench/server-node-flags.ts says why
// (a larger young generation, given back when idle; one malloc arena).
// The `haetae` command: runs the compiled CLI, bundled (`npm run build` makes dist/bundle/).
import "../dist/bundle/cli.js";
