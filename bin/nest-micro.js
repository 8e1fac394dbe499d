#!/usr/bin/env node
// The `nest-micro` command line: runs the built program (`npm run build` emits dist/lib/cli/).
// From source, without building: node --import ./scripts/register-ts.mjs lib/cli/main.ts
import '../dist/lib/cli/main.js';
