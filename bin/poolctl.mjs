#!/usr/bin/env node
// poolctl (docs/poolctl.md). Runs the TypeScript source through tsx's loader: no build step, so
// `npx poolctl` is never older than the code beside it. Startup costs about 0.4 s.
import process from 'node:process';
import { register } from 'tsx/esm/api';

// A notice about future SDK releases, on stderr at the first client: not news to someone running poolctl.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { runPoolctl, processIo } = await import('../controller/cli/main.ts');
process.exitCode = await runPoolctl(process.argv.slice(2), processIo());
