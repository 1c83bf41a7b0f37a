/**
 * The CDK app: `npx cdk synth --all -c env=prod` (dev by default). Settings come from
 * infra/config/environments.ts and the context keys documented in docs/deploy.md.
 */
import { App } from 'aws-cdk-lib';
import { resolveOperatorSettings } from '../config/environments.js';
import { addOperatorStacks } from '../stacks/operatorStacks.js';

const app = new App();
addOperatorStacks(
  app,
  resolveOperatorSettings((key) => app.node.tryGetContext(key)),
);
app.synth();
