/**
 * Every IAM statement in this app whose Resource is `*`, by Sid, with the reason it cannot be narrower.
 * Statements are made only through `wildcardStatement`, so a `*` without a reason does not compile; the
 * infra tests check that every `*` statement in the templates carries one of these Sids, and the cdk-nag
 * IAM5 suppressions quote these reasons. docs/deploy.md lists them for reviewers.
 */
import { Effect, PolicyStatement, type PolicyStatementProps } from 'aws-cdk-lib/aws-iam';

export const wildcardResourceReasons = {
  // Shared task execution role.
  EcrAuthorization:
    'ecr:GetAuthorizationToken has no resource-level permissions; the token by itself grants no image access (pulls are scoped to repositories separately).',

  // Default worker task role (ecs-type Prefect workers).
  FlowRunTaskDefinitions:
    'ecs:RegisterTaskDefinition and ecs:DeregisterTaskDefinition have no resource-level permissions. A Prefect ecs-type worker registers a task definition per flow-run configuration; the roles it can put in them are limited by the iam:PassRole statement.',
  DescribeFlowRunTaskDefinitions: 'Read-only: ecs:DescribeTaskDefinition has no resource-level permissions.',
  DescribeWorkerNetwork:
    'Read-only: ec2:DescribeSubnets and ec2:DescribeVpcs have no resource-level permissions.',

  // Controller.
  RegisterPoolTaskDefinitions:
    'ecs:RegisterTaskDefinition has no resource-level permissions; the statement requires the request to tag the revision with this controller instance (aws:RequestTag), and the roles a revision may name are limited by the iam:PassRole statement.',
  DeregisterPoolTaskDefinitions:
    'ecs:DeregisterTaskDefinition has no resource-level permissions and no tag condition keys. It only marks a revision INACTIVE (running tasks keep running, the revision stays readable); the controller calls it only for the families it derives for its own pools.',
  ReadEcsAndEc2:
    'Read-only Describe/List calls (services, task definitions, security groups); most have no resource-level permissions, and reading another service changes nothing.',
  DescribeAlarms:
    'Read-only: cloudwatch:DescribeAlarms with AlarmNamePrefix is authorized against every alarm; the controller filters by its own prefix.',
  PublishPoolMetrics:
    'cloudwatch:PutMetricData has no resource-level permissions; the cloudwatch:namespace condition limits it to the controller namespaces.',

  // Added by CDK with the stream read grant (DynamoEventSource), not by wildcardStatement.
  ListTableStreams:
    "Read-only: dynamodb:ListStreams has no resource-level permissions; reading the stream itself (DescribeStream, GetShardIterator, GetRecords) is limited to the pool table's stream.",
} as const satisfies Readonly<Record<string, string>>;

/** The reasons of the given statements, as one acknowledgment text for an IAM entity holding them all. */
export function wildcardReasons(sids: readonly WildcardSid[]): string {
  return sids.map((sid) => `${sid}: ${wildcardResourceReasons[sid]}`).join(' ');
}

export type WildcardSid = keyof typeof wildcardResourceReasons;

/** A statement on Resource `*`: the Sid names its documented reason. */
export function wildcardStatement(
  sid: WildcardSid,
  props: Omit<PolicyStatementProps, 'sid' | 'resources' | 'effect'>,
): PolicyStatement {
  return new PolicyStatement({ ...props, sid, effect: Effect.ALLOW, resources: ['*'] });
}
