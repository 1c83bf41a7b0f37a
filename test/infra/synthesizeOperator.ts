/**
 * Synthesizes the operator app the way `cdk synth` does (cdk.json's context and feature flags, the same
 * addOperatorStacks, the cdk-nag plugin) but without bundling the handlers, so a test file can afford a
 * few environments. Each file synthesizes what it needs once, at module level, and shares it.
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { resolveOperatorSettings, type OperatorSettings } from '../../infra/config/environments.js';
import { repositoryRoot } from '../../infra/constructs/controllerFunction.js';
import { addOperatorStacks, type OperatorStacks } from '../../infra/stacks/operatorStacks.js';

export interface SynthesizedOperator {
  readonly app: App;
  readonly settings: OperatorSettings;
  readonly stacks: OperatorStacks;
  readonly base: Template;
  readonly controller: Template;
}

const cdkJson = JSON.parse(readFileSync(`${repositoryRoot}cdk.json`, 'utf8')) as {
  readonly app: string;
  readonly context: Record<string, unknown>;
};

/** Each app writes its assembly to a fresh temporary directory; nothing reads them after the file's tests. */
const temporaryOutdirs: string[] = [];
afterAll(() => temporaryOutdirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** An app whose temporary assembly directory is removed after the file's tests. */
export function temporaryApp(props: ConstructorParameters<typeof App>[0] = {}): App {
  const app = new App(props);
  temporaryOutdirs.push(app.outdir);
  return app;
}

/** The context `cdk synth` gives the app, plus the test's overrides (e.g. `{ env: 'prod' }`). */
export function cdkContext(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...cdkJson.context, ...overrides };
}

export function cdkJsonSettings(): typeof cdkJson {
  return cdkJson;
}

/**
 * The app of one environment. `aws:cdk:bundling-stacks: []` skips esbuild (the asset hash then depends
 * only on the construct path), which keeps a synth under a few seconds.
 */
export function synthesizeOperator(overrides: Record<string, unknown> = {}): SynthesizedOperator {
  const app = temporaryApp({ context: cdkContext({ 'aws:cdk:bundling-stacks': [], ...overrides }) });
  const settings = resolveOperatorSettings((key) => app.node.tryGetContext(key));
  const stacks = addOperatorStacks(app, settings);
  // Synthesizing runs the validation plugins: an unacknowledged cdk-nag finding throws here.
  app.synth();
  return {
    app,
    settings,
    stacks,
    base: Template.fromStack(stacks.base),
    controller: Template.fromStack(stacks.controller),
  };
}

export const environments = ['dev', 'staging', 'prod'] as const;

/** Resources of one type in a template, by logical id. */
export function resourcesOfType(
  template: Template,
  type: string,
): Record<string, { Properties: Record<string, unknown> }> {
  return template.findResources(type) as Record<string, { Properties: Record<string, unknown> }>;
}

export interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface LocatedStatement {
  /** `<stack>/<logical id>` of the role or policy. */
  readonly where: string;
  readonly statement: PolicyStatementJson;
}

/** Every statement of every identity policy in the stacks: role inline policies, policies, managed policies. */
export function identityPolicyStatements(stacks: readonly Stack[]): LocatedStatement[] {
  const located: LocatedStatement[] = [];
  for (const stack of stacks) {
    const template = Template.fromStack(stack).toJSON() as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      const documents: unknown[] = [];
      if (resource.Type === 'AWS::IAM::Role') {
        for (const policy of (resource.Properties?.Policies as { PolicyDocument: unknown }[] | undefined) ??
          []) {
          documents.push(policy.PolicyDocument);
        }
      } else if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
        documents.push(resource.Properties?.PolicyDocument);
      }
      for (const document of documents) {
        for (const statement of (document as { Statement: PolicyStatementJson[] }).Statement) {
          located.push({ where: `${stack.stackName}/${logicalId}`, statement });
        }
      }
    }
  }
  return located;
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** Replaces 64-hex asset hashes, so a snapshot breaks on structure, not on a rebuilt bundle. */
export function maskAssetHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '[ASSET_HASH]'));
}
