/**
 * The whole deployment of one environment: the base stack, the controller stack on top of it, tags, and
 * the cdk-nag AwsSolutions checks (every synth runs them; an unacknowledged finding fails it).
 */
import { Tags, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { OperatorSettings } from '../config/environments.js';
import { baseResourceNames, controllerResourceNames } from '../config/resourceNaming.js';
import { BaseStack } from './baseStack.js';
import { ControllerStack } from './controllerStack.js';

export interface OperatorStacks {
  readonly base: BaseStack;
  readonly controller: ControllerStack;
}

export function addOperatorStacks(app: App, settings: OperatorSettings): OperatorStacks {
  const env =
    settings.account !== undefined || settings.region !== undefined
      ? {
          ...(settings.account ? { account: settings.account } : {}),
          ...(settings.region ? { region: settings.region } : {}),
        }
      : undefined;
  const common = { ...(env ? { env } : {}), settings };
  const base = new BaseStack(app, 'Base', {
    ...common,
    stackName: baseResourceNames(settings.instanceId).stackName,
    description: `prefect-ecs-operator ${settings.instanceId} (${settings.environment}): network, cluster, worker logs and roles`,
  });
  const controller = new ControllerStack(app, 'Controller', {
    ...common,
    stackName: controllerResourceNames(settings.instanceId).stackName,
    description: `prefect-ecs-operator ${settings.instanceId} (${settings.environment}): pool table, controller functions, triggers, alarms`,
    base: base.resources,
  });
  // Cost allocation and ownership for people. Never the controller's own `prefect-ecs-operator:*` keys:
  // those mark what the controller owns and may delete.
  for (const stack of [base, controller]) {
    Tags.of(stack).add('Application', 'prefect-ecs-operator');
    Tags.of(stack).add('OperatorInstance', settings.instanceId);
    Tags.of(stack).add('Environment', settings.environment);
  }
  // A validation plugin: synth fails on any finding not acknowledged (with its reason) where it arises.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { base, controller };
}
