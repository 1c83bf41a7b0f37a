/**
 * Hostile spec items (issue #5): 500 generated from the schema and about 75 written by hand — wrong types,
 * missing fields, huge and unicode strings, shell, JSON and ARN metacharacters, an item near DynamoDB's
 * 400 KB limit, an item without spec, a spec that is not a map. Each is written into the real table in
 * moto and reaches the controller through the stream handler, in batches with valid items mixed in.
 *
 * Every one must end in phase Invalid with path-specific messages, cause no mutating AWS call, crash no
 * handler, and leave the valid items of its batch processed. The controller never writes a spec item.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import {
  DescribeServicesCommand,
  ListServicesCommand,
  ListTaskDefinitionFamiliesCommand,
} from '@aws-sdk/client-ecs';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePool, type ValidationIssue } from '../../controller/api/validatePool.js';
import { tableUnmarshallOptions } from '../../controller/aws/poolTableStore.js';
import { createScheduleHandler } from '../../controller/handlers/scheduleHandler.js';
import { createStreamHandler } from '../../controller/handlers/streamHandler.js';
import { AwsInputLog, inputText } from '../support/awsInputLog.js';
import {
  completeManifest,
  generateHostileCases,
  handWrittenCases,
  isAtOrUnder,
  type ManifestContext,
} from '../support/hostileManifests.js';
import { processPoolManifest } from '../support/poolManifests.js';
import { createReconcilerHarness, type ReconcilerHarness } from '../support/reconcilerHarness.js';
import { attachSpecWriteGuard, type SpecWriteGuard } from '../support/specWriteGuard.js';
import { poisonRecords, sequenceNumberOf, specRecord } from '../support/streamRecords.js';
import { startTestAws, testInstanceId, type TestAws } from '../support/testEnvironment.js';
import { createUserTable, userMarshallOptions, type UserTable } from '../support/userTable.js';

const generatedCount = 500;

let aws: TestAws;
let harness: ReconcilerHarness;
let user: UserTable;
let guard: SpecWriteGuard;
let inputs: AwsInputLog;
let manifestContext: ManifestContext;

/** Every hostile item written to the table: key, where validation must complain, and what it is. */
interface HostileItem {
  readonly pk: string;
  readonly title: string;
  readonly expectedPaths: readonly string[];
  /** The attributes as the controller reads them back (pk/sk included). */
  readonly stored: Record<string, unknown>;
  write(): Promise<void>;
}

let hostile: HostileItem[] = [];

beforeAll(async () => {
  aws = await startTestAws();
  harness = createReconcilerHarness(aws);
  user = createUserTable(aws);
  guard = attachSpecWriteGuard(harness.clients.dynamodb);
  inputs = new AwsInputLog().attach(
    harness.clients.ecs,
    harness.clients.ec2,
    harness.clients.cloudwatch,
    harness.clients.dynamodb,
  );
  manifestContext = {
    secretArnPrefix: aws.config.allowedSecretArnPrefix,
    taskRoleArn: aws.config.allowedTaskRoleArns[0] as string,
  };
  const generated = generateHostileCases(generatedCount, 'hostile-gen-', manifestContext).map(
    (hostileCase): HostileItem => ({
      pk: hostileCase.pk,
      title: hostileCase.description,
      expectedPaths: hostileCase.expectedPaths,
      stored: roundTrip({ ...hostileCase.manifest, pk: hostileCase.pk, sk: 'spec' }),
      write: () => user.putSpec(hostileCase.manifest, hostileCase.pk),
    }),
  );
  const handWritten = handWrittenCases(manifestContext).map((handCase): HostileItem => {
    const pk = handCase.pk as string;
    if (handCase.raw) {
      const raw = handCase.raw;
      return {
        pk,
        title: handCase.title,
        expectedPaths: handCase.expect,
        stored: unmarshall({ ...raw, pk: { S: pk }, sk: { S: 'spec' } }, tableUnmarshallOptions),
        write: () => user.putRawSpec(pk, raw),
      };
    }
    const item = handCase.item as Record<string, unknown>;
    return {
      pk,
      title: handCase.title,
      expectedPaths: handCase.expect,
      stored: roundTrip({ ...item, pk, sk: 'spec' }),
      write: () => user.putSpec(item, pk),
    };
  });
  hostile = [...generated, ...handWritten];
});

afterAll(async () => {
  // No data loss: across everything this file did, the controller never wrote a spec item.
  expect(guard?.violations()).toEqual([]);
  user?.destroy();
  await aws?.stop();
});

/** The item as DynamoDB gives it back to the controller: what the stream handler validates. */
function roundTrip(item: Record<string, unknown>): Record<string, unknown> {
  return unmarshall(marshall(item, userMarshallOptions), tableUnmarshallOptions);
}

/** What is wrong with a rejection, if anything: a reason that the test prints with the case. */
function rejectionProblems(
  issues: readonly ValidationIssue[] | undefined,
  expectedPaths: readonly string[],
): string[] {
  if (!issues || issues.length === 0) return ['no validation errors'];
  const problems: string[] = [];
  for (const issue of issues) {
    if (typeof issue.path !== 'string' || issue.path.length === 0) problems.push('an issue without a path');
    else if (issue.path === '(item)') problems.push('an issue about the whole item');
    if (typeof issue.message !== 'string' || issue.message.length === 0)
      problems.push(`${issue.path}: no message`);
  }
  for (const expected of expectedPaths) {
    if (!issues.some((issue) => typeof issue.path === 'string' && isAtOrUnder(issue.path, expected))) {
      problems.push(
        `nothing reported at ${expected} (got ${issues
          .map((i) => i.path)
          .join(', ')
          .slice(0, 300)})`,
      );
    }
  }
  return problems;
}

function describeFailure(item: HostileItem, problems: string[]): string {
  return `${item.pk} [${item.title.slice(0, 120)}]: ${problems.join('; ')}`;
}

describe('hostile spec items, checked in-process first', () => {
  it(`rejects each of the ${generatedCount} generated items at the places that were broken`, () => {
    const generated = hostile.filter((item) => item.pk.startsWith('hostile-gen-'));
    expect(generated).toHaveLength(generatedCount);
    const failures: string[] = [];
    for (const item of generated) {
      const result = validatePool(item.stored, { ...aws.config, expectedName: item.pk });
      const problems = result.valid ? ['accepted'] : rejectionProblems(result.issues, item.expectedPaths);
      if (problems.length > 0) failures.push(describeFailure(item, problems));
    }

    expect(failures).toEqual([]);
  });

  it('rejects each hand-written item at the places that were broken', () => {
    const handWritten = hostile.filter((item) => !item.pk.startsWith('hostile-gen-'));
    expect(handWritten.length).toBeGreaterThanOrEqual(50);
    const failures: string[] = [];
    for (const item of handWritten) {
      const result = validatePool(item.stored, { ...aws.config, expectedName: item.pk });
      const problems = result.valid ? ['accepted'] : rejectionProblems(result.issues, item.expectedPaths);
      if (problems.length > 0) failures.push(describeFailure(item, problems));
    }

    expect(failures).toEqual([]);
  });
});

describe('hostile spec items through the stream handler against moto', () => {
  const validPools: string[] = [];
  const poison: DynamoDBRecord[] = [];
  const failures: string[] = [];

  it('writes every hostile item into the table as a user could', async () => {
    const limit = pLimit(16);
    await Promise.all(hostile.map((item) => limit(() => item.write())));

    const stored = await user.scanKeys();
    expect(stored.filter((item) => item.sk === 'spec')).toHaveLength(hostile.length);
  }, 60_000);

  it('marks every hostile item Invalid, processes the valid ones beside them, and fails only poison records', async () => {
    const handle = createStreamHandler(() => harness.deps);
    const batchSize = 60;
    const started = Date.now();
    for (let offset = 0, batch = 0; offset < hostile.length; offset += batchSize, batch++) {
      const valid = [`valid-${batch}-a`, `valid-${batch}-b`];
      await user.putSpec(processPoolManifest(valid[0] as string));
      await user.putSpec(completeManifest(valid[1] as string, manifestContext));
      validPools.push(...valid);
      const batchPoison = batch % 3 === 0 ? poisonRecords() : [];
      poison.push(...batchPoison);
      const records = [
        ...hostile.slice(offset, offset + batchSize).map((item) => specRecord(item.pk)),
        ...valid.map((pool) => specRecord(pool)),
        ...batchPoison,
      ].sort(() => 0.5 - Math.random());

      // A handler that throws fails the whole batch: it must answer, whatever the items hold.
      const response = await handle({ Records: records });

      failures.push(...response.batchItemFailures.map((failure) => failure.itemIdentifier));
    }
    const elapsed = Date.now() - started;
    console.info(
      `hostile batches: ${hostile.length} hostile + ${validPools.length} valid items in ${elapsed} ms`,
    );

    expect(failures.sort()).toEqual(poison.map(sequenceNumberOf).sort());
  }, 180_000);

  it('reports each hostile item Invalid in its status item, with the path of every problem', async () => {
    const statuses = await user.readStatuses([...hostile.map((item) => item.pk), ...validPools]);
    const problems: string[] = [];
    for (const item of hostile) {
      const status = statuses.get(item.pk);
      if (!status) {
        problems.push(describeFailure(item, ['no status item']));
        continue;
      }
      const found = [
        ...(status.phase === 'Invalid' ? [] : [`phase ${status.phase}`]),
        ...rejectionProblems(status.validationErrors, item.expectedPaths),
      ];
      if (found.length > 0) problems.push(describeFailure(item, found));
    }

    expect(problems).toEqual([]);
    expect(statuses.size).toBeGreaterThanOrEqual(hostile.length + validPools.length);
  });

  it('created the resources of the valid items', async () => {
    const names = validPools.map((pool) => `${testInstanceId}-${pool}`);
    const active = new Set<string>();
    for (let i = 0; i < names.length; i += 10) {
      const response = await harness.clients.ecs.send(
        new DescribeServicesCommand({ cluster: aws.config.clusterName, services: names.slice(i, i + 10) }),
      );
      for (const service of response.services ?? [])
        if (service.status === 'ACTIVE') active.add(service.serviceName ?? '');
    }

    expect([...active].sort()).toEqual([...names].sort());
  });

  it('made no mutating AWS call for any hostile item: every resource and every change belongs to a valid pool', async () => {
    const ownedStems = validPools.map((pool) => `${testInstanceId}-${pool}`);
    const belongsToValid = (name: string) =>
      ownedStems.some((stem) => name === stem || name.startsWith(`${stem}-`));

    const services = await harness.clients.ecs.send(
      new ListServicesCommand({ cluster: aws.config.clusterName, maxResults: 100 }),
    );
    const families = await harness.clients.ecs.send(new ListTaskDefinitionFamiliesCommand({}));
    const groups = await harness.clients.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [aws.config.vpcId] }] }),
    );
    const alarms = await harness.clients.cloudwatch.send(new DescribeAlarmsCommand({}));
    const resourceNames = [
      ...(services.serviceArns ?? []).map((arn) => arn.split('/').pop() ?? ''),
      ...(families.families ?? []),
      ...(groups.SecurityGroups ?? []).map((g) => g.GroupName ?? '').filter((name) => name !== 'default'),
      ...(alarms.MetricAlarms ?? []).map((a) => a.AlarmName ?? ''),
    ];
    expect(resourceNames.filter((name) => !belongsToValid(name))).toEqual([]);

    // Each mutating call names a valid pool's resource (by name, or by the group id it got).
    const validGroupIds = (groups.SecurityGroups ?? [])
      .filter((g) => belongsToValid(g.GroupName ?? ''))
      .map((g) => g.GroupId ?? '');
    const tokens = [...ownedStems.map((stem) => `"${stem}`), ...validGroupIds.map((id) => `"${id}"`)];
    const stray = inputs
      .resourceMutations()
      .filter((call) => !tokens.some((token) => inputText(call).includes(token)))
      .map((call) => `${call.service} ${call.operation} ${inputText(call).slice(0, 200)}`);
    expect(stray).toEqual([]);
    expect(inputs.resourceMutations().length).toBeGreaterThan(0);

    // The only table writes for a hostile pool are its status item: no lease, no spec.
    const hostileKeys = new Set(hostile.map((item) => item.pk));
    const hostileWrites = guard
      .writes()
      .filter((write) => write.pk !== undefined && hostileKeys.has(write.pk));
    expect(hostileWrites.filter((write) => write.operation !== 'PutItem' || write.sk !== 'status')).toEqual(
      [],
    );
    expect(new Set(hostileWrites.map((write) => write.pk)).size).toBe(hostile.length);
  });

  it('a drift pass over the whole table keeps them Invalid, without errors or AWS changes for them', async () => {
    inputs.clear();
    const started = Date.now();

    const summary = await createScheduleHandler(() => harness.deps)({});

    console.info(`drift pass over ${summary.pools} pools in ${Date.now() - started} ms`);
    expect(summary).toMatchObject({ errors: 0, deferred: 0 });
    expect(summary.pools).toBe(hostile.length + validPools.length);
    const tokens = validPools.map((pool) => `"${testInstanceId}-${pool}`);
    const stray = inputs
      .resourceMutations()
      .filter((call) => call.operation !== 'PutMetricData')
      .filter((call) => !tokens.some((token) => inputText(call).includes(token)));
    expect(stray).toEqual([]);
    const statuses = await user.readStatuses(hostile.map((item) => item.pk));
    expect([...statuses.values()].filter((status) => status.phase === 'Invalid')).toHaveLength(
      hostile.length,
    );
  }, 120_000);
});

describe('poison stream records', () => {
  it('are reported in batchItemFailures while the records beside them succeed', async () => {
    await user.putSpec(processPoolManifest('beside-poison'));
    await user.putSpec(
      {
        apiVersion: 'prefect-ecs-operator/v1',
        kind: 'PrefectWorkerPool',
        metadata: { name: 'poison-neighbour' },
      },
      'poison-neighbour',
    );
    const poison = poisonRecords();
    const records = [
      specRecord('beside-poison'),
      ...poison,
      specRecord('poison-neighbour'),
      specRecord('never-existed', 'REMOVE'),
    ];

    const response = await createStreamHandler(() => harness.deps)({ Records: records });

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      poison.map(sequenceNumberOf).sort(),
    );
    expect((await user.readStatus('beside-poison'))?.phase).not.toBe('Invalid');
    const neighbour = await user.readStatus('poison-neighbour');
    expect(neighbour?.phase).toBe('Invalid');
    expect(neighbour?.validationErrors?.map((e) => e.path)).toEqual(['spec']);
  });
});
