/**
 * The controller: the pool table, one Lambda per trigger (table stream, drift schedule, pool alarm state
 * changes), its least-privilege policy, the health topic, its own alarms and a dashboard.
 */
import { Aws, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { controllerEnvironmentValues, lambdaEnvironment } from '../config/controllerLambdaEnvironment.js';
import type { OperatorSettings } from '../config/environments.js';
import { controllerResourceNames, poolAlarmNamePrefix } from '../config/resourceNaming.js';
import { AlarmStateTrigger } from '../constructs/alarmStateTrigger.js';
import { ControllerAlarms } from '../constructs/controllerAlarms.js';
import { ControllerDashboard } from '../constructs/controllerDashboard.js';
import { ControllerFailureQueue } from '../constructs/controllerFailureQueue.js';
import { ControllerFunction, controllerTimeouts } from '../constructs/controllerFunction.js';
import { ControllerPermissions } from '../constructs/controllerPermissions.js';
import { DriftSchedule } from '../constructs/driftSchedule.js';
import { PoolHealthTopic } from '../constructs/poolHealthTopic.js';
import { PoolStreamTrigger } from '../constructs/poolStreamTrigger.js';
import { PoolTable } from '../constructs/poolTable.js';
import { lambdaEntries } from '../../scripts/buildHandlers.js';
import type { BaseResources } from './baseStack.js';

/** The handlers: one Lambda entry per trigger, the same entries scripts/buildHandlers.ts bundles. */
export type ControllerHandlerName = keyof typeof lambdaEntries;
export const controllerHandlers: Readonly<
  Record<ControllerHandlerName, { entry: string; description: string }>
> = {
  stream: {
    entry: lambdaEntries.stream,
    description: 'Reconciles the pools whose spec items changed (table stream)',
  },
  schedule: { entry: lambdaEntries.schedule, description: 'Drift pass over every pool (schedule)' },
  alarm: {
    entry: lambdaEntries.alarm,
    description: 'Scales a pool when one of its scaling alarms changes state (EventBridge)',
  },
};

export interface ControllerStackProps extends StackProps {
  readonly settings: OperatorSettings;
  readonly base: BaseResources;
}

export class ControllerStack extends Stack {
  readonly functions: Readonly<Record<ControllerHandlerName, IFunction>>;

  constructor(scope: Construct, id: string, props: ControllerStackProps) {
    super(scope, id, props);
    const { settings, base } = props;
    const names = controllerResourceNames(settings.instanceId);
    const removalPolicy = settings.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const table = new PoolTable(this, 'PoolTable', {
      tableName: names.tableName,
      protectData: settings.protectData,
    }).table;
    const failureQueue = new ControllerFailureQueue(this, 'FailureQueue', {
      queueName: names.failureQueueName,
    }).queue;
    const health = new PoolHealthTopic(this, 'HealthTopic', {
      topicName: names.healthTopicName,
      keyRemovalPolicy: removalPolicy,
      ...(settings.alarmEmail ? { email: settings.alarmEmail } : {}),
    });

    const environment = lambdaEnvironment(
      controllerEnvironmentValues({
        instanceId: settings.instanceId,
        region: Aws.REGION,
        tableName: table.tableName,
        clusterName: base.clusterName,
        vpcId: base.vpc.vpcId,
        workerSubnetIds: base.workerSubnets.map((subnet) => subnet.subnetId),
        workerLogGroupName: base.workerLogGroup.logGroupName,
        executionRoleArn: base.executionRole.roleArn,
        defaultWorkerTaskRoleArn: base.defaultWorkerTaskRole.roleArn,
        extraTaskRoleArns: settings.extraTaskRoleArns,
        allowedSecretArnPrefix: base.allowedSecretArnPrefix,
        healthTopicArn: health.topic.topicArn,
        prefectApiAccess: 'spec',
        reconcileConcurrency: settings.reconcileConcurrency,
        deadlineSafetyMs: settings.deadlineSafetyMs,
      }),
    );

    const controllerFunctions = Object.fromEntries(
      (Object.keys(controllerHandlers) as ControllerHandlerName[]).map((handler) => [
        handler,
        new ControllerFunction(this, `${capitalize(handler)}Handler`, {
          functionName: names.functionName(handler),
          description: controllerHandlers[handler].description,
          entry: controllerHandlers[handler].entry,
          environment,
          memorySize: settings.lambdaMemoryMb,
          timeout: controllerTimeouts[handler],
          logRetention: settings.controllerLogRetention,
          logRemovalPolicy: removalPolicy,
        }),
      ]),
    ) as Record<ControllerHandlerName, ControllerFunction>;
    this.functions = {
      stream: controllerFunctions.stream.function,
      schedule: controllerFunctions.schedule.function,
      alarm: controllerFunctions.alarm.function,
    };

    const permissions = new ControllerPermissions(this, 'Permissions', {
      instanceId: settings.instanceId,
      table,
      clusterName: base.clusterName,
      vpcId: base.vpc.vpcId,
      executionRoleArn: base.executionRole.roleArn,
      allowedTaskRoleArns: [base.defaultWorkerTaskRole.roleArn, ...settings.extraTaskRoleArns],
      allowedSecretArnPrefix: base.allowedSecretArnPrefix,
      poolAlarmNamePrefix: poolAlarmNamePrefix(settings.instanceId),
      roles: Object.values(controllerFunctions).map((fn) => fn.role),
    });
    // No trigger may invoke a function before its permissions are attached.
    for (const fn of Object.values(controllerFunctions)) fn.function.node.addDependency(permissions.policy);

    new PoolStreamTrigger(this, 'StreamTrigger', {
      table,
      handler: this.functions.stream,
      failureQueue,
      retryAttempts: settings.streamRetryAttempts,
    });
    new DriftSchedule(this, 'DriftSchedule', {
      handler: this.functions.schedule,
      everyMinutes: settings.driftPassMinutes,
      failureQueue,
    });
    new AlarmStateTrigger(this, 'AlarmStateTrigger', {
      handler: this.functions.alarm,
      instanceId: settings.instanceId,
      failureQueue,
    });

    const alarms = new ControllerAlarms(this, 'Alarms', {
      alarmNamePrefix: names.controllerAlarmNamePrefix,
      functions: this.functions,
      streamFunction: this.functions.stream,
      failureQueue,
      topic: health.topic,
    });
    new ControllerDashboard(this, 'Dashboard', {
      dashboardName: names.dashboardName,
      instanceId: settings.instanceId,
      clusterName: base.clusterName,
      functions: this.functions,
      streamFunction: this.functions.stream,
      failureQueue,
      alarms: alarms.alarms,
    });

    new CfnOutput(this, 'PoolTableName', {
      value: table.tableName,
      description: 'Put PrefectWorkerPool spec items here',
    });
    new CfnOutput(this, 'HealthTopicArn', {
      value: health.topic.topicArn,
      description: 'Subscribe to pool and controller health notifications',
    });
    new CfnOutput(this, 'FailureQueueUrl', { value: failureQueue.queueUrl });
    new CfnOutput(this, 'DashboardName', { value: names.dashboardName });
    for (const [handler, fn] of Object.entries(this.functions)) {
      new CfnOutput(this, `${capitalize(handler)}FunctionName`, { value: fn.functionName });
    }
  }
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
