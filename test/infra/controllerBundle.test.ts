import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Duration, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ControllerFunction, esmRequireBanner } from '../../infra/constructs/controllerFunction.js';
import { controllerHandlers } from '../../infra/stacks/controllerStack.js';
import { cdkContext, temporaryApp } from './synthesizeOperator.js';

/** One handler really bundled (the other infra tests skip bundling to stay fast). */
function bundle(handler: keyof typeof controllerHandlers): string {
  const app = temporaryApp({ context: cdkContext() });
  const stack = new Stack(app, 'BundleProbe');
  new ControllerFunction(stack, 'Handler', {
    functionName: `probe-${handler}`,
    description: 'bundle probe',
    entry: controllerHandlers[handler].entry,
    environment: {},
    memorySize: 512,
    timeout: Duration.minutes(1),
    logRetention: RetentionDays.ONE_DAY,
  });
  const assembly = app.synth();
  const template = assembly.getStackByName('BundleProbe').template as {
    Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
  };
  const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
  const assetHash = fn.Properties.Code!.S3Key!.replace(/\.zip$/, '');
  return path.join(assembly.directory, `asset.${assetHash}`);
}

describe('controller bundles', () => {
  const streamBundle = bundle('stream');

  it('is one minified ESM file with a source map, able to require()', () => {
    const code = readFileSync(path.join(streamBundle, 'index.mjs'), 'utf8');

    expect(code.startsWith(esmRequireBanner)).toBe(true);
    expect(code.split('\n').length).toBeLessThan(200);
    expect(existsSync(path.join(streamBundle, 'index.mjs.map'))).toBe(true);
  });

  it('carries its own AWS SDK and only the modules its handler imports', () => {
    const code = readFileSync(path.join(streamBundle, 'index.mjs'), 'utf8');

    // Nothing left for the runtime to resolve: no bare imports of the SDK or other packages.
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    // The partial batch response (Powertools batch) is in; the drift pass belongs to the schedule handler.
    expect(code).toContain('batchItemFailures');
    expect(code).not.toContain('drift pass');
  });
});
