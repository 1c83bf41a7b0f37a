import { describe, expect, it } from 'vitest';
import type { DynamoDBRecord } from 'aws-lambda';
import { Match } from 'aws-cdk-lib/assertions';
import { controllerEnvironment } from '../../controller/config/controllerConfig.js';
import {
  matchesEventFilterPattern,
  type EventFilterPattern,
} from '../../controller/handlers/streamEventFilter.js';
import { poolTableKeys, poolTableStreamView } from '../../controller/api/tableContract.js';
import {
  lambdaReservedVariables,
  nodeRuntimeEnvironment,
} from '../../infra/config/controllerLambdaEnvironment.js';
import { controllerHandlers } from '../../infra/stacks/controllerStack.js';
import { maskAssetHashes, resourcesOfType, synthesizeOperator } from './synthesizeOperator.js';

const dev = synthesizeOperator({ env: 'dev' });
const prod = synthesizeOperator({ env: 'prod' });

const functions = (template: typeof dev.controller) =>
  Object.entries(resourcesOfType(template, 'AWS::Lambda::Function'));

describe('controller stack: the table', () => {
  it('is on demand, recoverable and streams new and old images', () => {
    dev.controller.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'prefect-ecs-operator-dev-pools',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: poolTableKeys.partitionKey, KeyType: 'HASH' },
        { AttributeName: poolTableKeys.sortKey, KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: poolTableStreamView },
      DeletionProtectionEnabled: false,
    });
  });

  it('is protected from deletion in prod', () => {
    prod.controller.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      DeletionPolicy: 'Retain',
    });
  });
});

describe('controller stack: the functions', () => {
  it('has one function per handler on ARM64 and the current Node.js runtime', () => {
    const deployed = functions(dev.controller);

    expect(deployed).toHaveLength(Object.keys(controllerHandlers).length);
    for (const [, fn] of deployed) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
    }
  });

  it('sets exactly the variables the controller declares, less those Lambda sets itself', () => {
    // AWS_REGION is in the controller's declaration (local mode and tests need it) but Lambda reserves it:
    // the runtime sets it and a function may not. NODE_OPTIONS is for Node (source maps), not the controller.
    const expected = [
      ...Object.keys(controllerEnvironment).filter(
        (name) => !(lambdaReservedVariables as readonly string[]).includes(name),
      ),
      ...Object.keys(nodeRuntimeEnvironment),
    ].sort();

    for (const [logicalId, fn] of functions(dev.controller)) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(variables).sort(), logicalId).toEqual(expected);
    }
    for (const reserved of lambdaReservedVariables)
      expect(Object.keys(controllerEnvironment)).toContain(reserved);
  });

  it('gives each variable known at synth time a value the controller accepts', () => {
    for (const [, fn] of functions(prod.controller)) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const [name, declaration] of Object.entries(controllerEnvironment)) {
        const value = variables[name];
        if (typeof value === 'string') expect(() => declaration.parse(value), name).not.toThrow();
      }
      expect(variables).toMatchObject({
        CONTROLLER_INSTANCE_ID: 'prod',
        ECS_CLUSTER_NAME: 'prefect-ecs-operator-prod',
        PREFECT_API_ACCESS: 'spec',
        RECONCILE_CONCURRENCY: '16',
      });
    }
  });
});

describe('controller stack: the stream trigger', () => {
  const mapping = () =>
    Object.values(resourcesOfType(dev.controller, 'AWS::Lambda::EventSourceMapping'))[0]!.Properties;

  it('starts at the trim horizon, bisects, retries a bounded number of times and reports item failures', () => {
    expect(mapping()).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/^FailureQueue/), 'Arn'] } },
      },
    });
  });

  it('passes spec items only: inserts, edits and deletions of specs, never a status write', () => {
    const filters = (mapping().FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    const passes = (record: DynamoDBRecord) =>
      filters.some((filter) =>
        matchesEventFilterPattern(record, JSON.parse(filter.Pattern) as EventFilterPattern),
      );
    const record = (eventName: DynamoDBRecord['eventName'], sk: string): DynamoDBRecord => ({
      eventName,
      dynamodb: {
        Keys: { [poolTableKeys.partitionKey]: { S: 'analytics' }, [poolTableKeys.sortKey]: { S: sk } },
      },
    });

    expect(filters).toHaveLength(1);
    expect(passes(record('INSERT', poolTableKeys.specSortKey))).toBe(true);
    expect(passes(record('MODIFY', poolTableKeys.specSortKey))).toBe(true);
    expect(passes(record('REMOVE', poolTableKeys.specSortKey))).toBe(true);
    expect(passes(record('INSERT', poolTableKeys.statusSortKey))).toBe(false);
    expect(passes(record('MODIFY', poolTableKeys.statusSortKey))).toBe(false);
    expect(passes(record('REMOVE', poolTableKeys.statusSortKey))).toBe(false);
  });
});

describe('controller stack: schedule and alarm triggers', () => {
  it('runs the drift pass at the environment rate', () => {
    dev.controller.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScheduleHandler'), 'Arn'] } }),
      ],
    });
    prod.controller.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
  });

  it("routes state changes of this instance's pool alarms to the alarm handler", () => {
    dev.controller.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'dev-' }] },
      },
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmHandler'), 'Arn'] } }),
      ],
    });
  });

  it("names the controller's own alarms outside the pool alarm prefix, and covers errors, throttles and the failure queue", () => {
    const names = Object.values(resourcesOfType(dev.controller, 'AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties.AlarmName as string,
    );

    expect(names.filter((name) => name.startsWith('dev-'))).toEqual([]);
    for (const handler of Object.keys(controllerHandlers)) {
      expect(names).toContain(`PrefectEcsOperator-dev-${handler}-errors`);
      expect(names).toContain(`PrefectEcsOperator-dev-${handler}-throttles`);
    }
    expect(names).toContain('PrefectEcsOperator-dev-failure-queue-not-empty');
  });

  it('notifies the encrypted health topic from every controller alarm', () => {
    dev.controller.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: Match.anyValue(),
      TopicName: 'prefect-ecs-operator-dev-pool-health',
    });
    for (const alarm of Object.values(resourcesOfType(dev.controller, 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^HealthTopic/) }]);
    }
  });

  it('has a dashboard of the controller and its pools', () => {
    const body = JSON.stringify(
      Object.values(resourcesOfType(dev.controller, 'AWS::CloudWatch::Dashboard'))[0]!.Properties
        .DashboardBody,
    );

    expect(body).toContain('PrefectEcsOperator');
    expect(body).toContain('ClusterName=\\\\\\"prefect-ecs-operator-dev\\\\\\"');
  });
});

describe('controller stack: tripwire', () => {
  it('matches the reviewed template (dev; asset hashes masked)', () => {
    // A snapshot only catches unintended change; the contracts are asserted one by one above.
    expect(maskAssetHashes(dev.controller.toJSON())).toMatchSnapshot();
  });
});
