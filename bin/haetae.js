#!/usr/bin/env node
// The `haetae` command: runs the compiled CLI (`npm run build` makes dist/).
import "../dist/cli.js";
