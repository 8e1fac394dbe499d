#!/usr/bin/env node
// The `nest-micro` command line: runs the built program (`npm run build` emits dist/pkg/cli.js).
// From source, without building: node --import ./scripts/register-ts.mjs lib/cli/main.ts
import '../dist/pkg/cli.js';
