import { describe, expect, it } from 'vitest';
import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ownershipTagKeys } from '../../controller/api/resourceNames.js';
import { poolMetricsNamespace } from '../../controller/core/poolAlarms.js';
import { metricsNamespace } from '../../controller/observability/reconcileMetrics.js';
import { wildcardResourceReasons } from '../../infra/config/wildcardGrants.js';
import {
  asArray,
  environments,
  identityPolicyStatements,
  synthesizeOperator,
  temporaryApp,
  type LocatedStatement,
  type SynthesizedOperator,
} from './synthesizeOperator.js';

const deployments: Record<string, SynthesizedOperator> = {
  ...Object.fromEntries(environments.map((env) => [env, synthesizeOperator({ env })])),
  'existing VPC and cluster': synthesizeOperator({
    env: 'staging',
    instanceId: 'shared',
    vpcId: 'vpc-0123456789abcdef0',
    workerSubnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
    availabilityZones: 'eu-west-1a,eu-west-1b',
    clusterName: 'shared-cluster',
    extraTaskRoleArns: 'arn:aws:iam::123456789012:role/analytics-worker',
  }),
};

const statementsOf = (deployment: SynthesizedOperator): LocatedStatement[] =>
  identityPolicyStatements([deployment.stacks.base, deployment.stacks.controller]).filter(
    (s) => s.statement.Effect === 'Allow',
  );

/** Describe*, List*, Get* (GetSecretValue, GetLogEvents, GetAuthorizationToken…) read; the rest changes things. */
const isReadOnly = (action: string) => /^[a-z0-9-]+:(Describe|List|Get|BatchGet)/.test(action);

describe('cdk-nag AwsSolutions', () => {
  it.each(Object.keys(deployments))('finds nothing unacknowledged in %s', (name) => {
    // act: the same pack synth runs, asked directly for its report
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(deployments[name]!.app);

    // assess
    const findings = report.violations.map(
      (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('still reports a finding nobody acknowledged (the checks really run)', () => {
    const app = temporaryApp();
    const stack = new Stack(app, 'Probe');
    new Role(stack, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
      new PolicyStatement({ actions: ['s3:*'], resources: ['*'] }),
    );

    const report = new AwsSolutionsChecks().validateScope(app);

    expect(report.violations.map((v) => v.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-IAM5[Action::s3:*]', 'AwsSolutions-IAM5[Resource::*]']),
    );
  });

  it('acknowledges each finding by its rule (and resource pattern) with a specific reason', () => {
    const acknowledgments: { id: string; reason: string }[] = [];
    const visit = (construct: IConstruct) => {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledgments.push({ id: id.replace(/^annotation::/i, ''), reason });
        }
      }
      construct.node.children.forEach(visit);
    };
    for (const deployment of Object.values(deployments)) visit(deployment.app);

    // CDK's Stack acknowledges CloudFormation-Validate::W3010 (literal AZs) itself; the rest are ours.
    const ours = acknowledgments.filter(({ id }) => !id.startsWith('CloudFormation-Validate::'));
    expect(ours.length).toBeGreaterThan(0);
    for (const { id, reason } of ours) {
      // Either a cdk-nag rule (wildcards one resource pattern at a time) or a named CDK warning.
      expect(id).toMatch(/^(AwsSolutions-[A-Z]+\d+(\[Resource::.+\])?|@aws-cdk\/[\w-]+:\w+)$/);
      expect(id).not.toBe('AwsSolutions-IAM5');
      expect(reason.length, id).toBeGreaterThan(60);
    }
  });
});

describe('IAM: least privilege', () => {
  it.each(Object.keys(deployments))('allows no action on "*" without a documented reason in %s', (name) => {
    const undocumented = statementsOf(deployments[name]!)
      .filter(({ statement }) => asArray(statement.Resource).includes('*'))
      .filter(({ statement }) => !(statement.Sid !== undefined && statement.Sid in wildcardResourceReasons))
      .filter(({ statement }) => asArray(statement.Action).some((action) => !isReadOnly(action)));

    expect(undocumented).toEqual([]);
  });

  it.each(Object.keys(deployments))('never grants a wildcard action in %s', (name) => {
    const actions = statementsOf(deployments[name]!).flatMap(({ statement }) => asArray(statement.Action));

    expect(actions.filter((action) => action.includes('*') && action !== 'kms:GenerateDataKey*')).toEqual([]);
  });

  it.each(Object.keys(deployments))(
    'lets iam:PassRole pass only named worker roles, only to ECS tasks, in %s',
    (name) => {
      const passRole = statementsOf(deployments[name]!).filter(({ statement }) =>
        asArray(statement.Action).includes('iam:PassRole'),
      );

      expect(passRole.length).toBeGreaterThan(0);
      for (const { where, statement } of passRole) {
        expect(asArray(statement.Action), where).toEqual(['iam:PassRole']);
        for (const resource of asArray(statement.Resource)) {
          expect(JSON.stringify(resource), where).not.toContain('*');
          // A role made by the base stack (by reference), or a role ARN named in the settings.
          expect(JSON.stringify(resource), where).toMatch(
            /Role[A-Za-z0-9]*Arn|GetAtt.*Role|arn:aws:iam::\d{12}:role\//,
          );
        }
        expect(statement.Condition, where).toEqual({
          StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
        });
      }
    },
  );

  it('lets the controller pass exactly the execution role and the allowed task roles', () => {
    const controllerPassRole = statementsOf(deployments['existing VPC and cluster']!).find(
      ({ where, statement }) => where.includes('-controller/') && statement.Sid === 'PassWorkerRoles',
    );

    const resources = asArray(controllerPassRole!.statement.Resource).map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(3);
    expect(resources.filter((r) => r.includes('ExecutionRole'))).toHaveLength(1);
    expect(resources.filter((r) => r.includes('DefaultWorkerTaskRole'))).toHaveLength(1);
    expect(resources).toContain('"arn:aws:iam::123456789012:role/analytics-worker"');
  });
});

describe('IAM: the controller acts only on what its instance owns', () => {
  const controller = () =>
    new Map(
      statementsOf(deployments.dev!)
        .filter(({ where }) => where.startsWith('prefect-ecs-operator-dev-controller/Permissions'))
        .map(({ statement }) => [statement.Sid, statement]),
    );
  const instanceTag = ownershipTagKeys.instance;
  const sortedActions = (statement: { Action: string | string[] } | undefined) =>
    asArray(statement!.Action).sort();
  const arnText = (resource: unknown) => JSON.stringify(resource).replace(/[{}"[\]]|Fn::Join|Ref|,/g, '');

  it('creates ECS services only with its tag, and changes them only while they carry it', () => {
    const statements = controller();

    expect(statements.get('CreatePoolServices')).toMatchObject({
      Action: 'ecs:CreateService',
      Condition: { StringEquals: { [`aws:RequestTag/${instanceTag}`]: 'dev' } },
    });
    expect(sortedActions(statements.get('ChangeOwnPoolServices'))).toEqual([
      'ecs:DeleteService',
      'ecs:UpdateService',
    ]);
    expect(statements.get('ChangeOwnPoolServices')).toMatchObject({
      Condition: { StringEquals: { [`aws:ResourceTag/${instanceTag}`]: 'dev' } },
    });
    for (const sid of ['CreatePoolServices', 'ChangeOwnPoolServices']) {
      expect(arnText(statements.get(sid)!.Resource)).toContain(':service/prefect-ecs-operator-dev/dev-*');
    }
  });

  it('registers task definitions only with its tag, and tags ECS resources only on create or its own', () => {
    const statements = controller();

    expect(statements.get('RegisterPoolTaskDefinitions')).toMatchObject({
      Resource: '*',
      Condition: { StringEquals: { [`aws:RequestTag/${instanceTag}`]: 'dev' } },
    });
    expect(statements.get('TagPoolResourcesOnCreate')!.Condition).toEqual({
      StringEquals: { 'ecs:CreateAction': ['CreateService', 'RegisterTaskDefinition'] },
    });
    expect(statements.get('RetagOwnPoolServices')!.Condition).toEqual({
      StringEquals: { [`aws:ResourceTag/${instanceTag}`]: 'dev', [`aws:RequestTag/${instanceTag}`]: 'dev' },
    });
  });

  it('creates security groups in the workers VPC with its tag, and changes only those carrying it', () => {
    const statements = controller();

    expect(arnText(statements.get('CreatePoolSecurityGroupsInWorkerVpc')!.Resource)).toMatch(/:vpc\/.*Vpc/);
    expect(statements.get('CreateTaggedPoolSecurityGroups')!.Condition).toEqual({
      StringEquals: { [`aws:RequestTag/${instanceTag}`]: 'dev' },
    });
    expect(statements.get('TagSecurityGroupsOnCreate')!.Condition).toEqual({
      StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' },
    });
    expect(sortedActions(statements.get('ChangeOwnSecurityGroups'))).toEqual([
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:DeleteSecurityGroup',
      'ec2:RevokeSecurityGroupEgress',
    ]);
    expect(statements.get('ChangeOwnSecurityGroups')).toMatchObject({
      Condition: { StringEquals: { [`aws:ResourceTag/${instanceTag}`]: 'dev' } },
    });
  });

  it('manages only alarms named with its prefix, and publishes metrics only to its namespaces', () => {
    const statements = controller();

    expect(arnText(statements.get('ManagePoolAlarms')!.Resource)).toMatch(/:cloudwatch:.*:alarm:dev-\*$/);
    expect(statements.get('PublishPoolMetrics')).toMatchObject({
      Action: 'cloudwatch:PutMetricData',
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': [metricsNamespace, poolMetricsNamespace] } },
    });
  });

  it('reads only secrets under the allowed prefix', () => {
    expect(arnText(controller().get('ReadPrefectSecrets')!.Resource)).toMatch(/:secret:prefect\/\*$/);
  });
});
