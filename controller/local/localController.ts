/**
 * The controller loop in one process: the deployed handlers, unchanged, fed by local stand-ins for their
 * triggers (a stream poller for the event source mapping, a timer for the EventBridge schedule, an alarm
 * watcher for CloudWatch's alarm state change events and the EventBridge rule), and a reporter that prints
 * each pool's phase and scaling from its status item.
 *
 * Import this module only after logging is routed (see main.ts): building it constructs the Powertools
 * logger, which picks its console at construction.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { poolTableKeys } from '../api/tableContract.js';
import type { ControllerConfig } from '../config/controllerConfig.js';
import type { PrefectWorkerPoolStatus } from '../core/poolStatus.js';
import { createAlarmHandler } from '../handlers/alarmHandler.js';
import { createControllerRuntime } from '../handlers/controllerRuntime.js';
import { createScheduleHandler } from '../handlers/scheduleHandler.js';
import { createStreamHandler } from '../handlers/streamHandler.js';
import { createControllerLogger } from '../observability/controllerLogger.js';
import { AlarmWatcher } from './alarmWatcher.js';
import { applyManifestFile } from './applyManifestFile.js';
import { PhaseReporter } from './phaseReporter.js';
import { ScheduleTimer } from './scheduleTimer.js';
import { StreamPoller } from './streamPoller.js';

export interface LocalControllerOptions {
  readonly config: ControllerConfig;
  readonly streamArn: string;
  readonly scheduleIntervalMs: number;
  /** Pause between DescribeAlarms polls of the alarm watcher (default 500 ms). */
  readonly alarmPollIntervalMs?: number;
  /** Where phase lines go (one line, no newline). */
  readonly writePhaseLine: (line: string) => void;
  /** Where stream records given up on are announced (one line, no newline). */
  readonly writeNotice: (line: string) => void;
}

export interface LocalController {
  /** Starts the stream poller, the schedule and the alarm watcher. */
  start(): void;
  /** Starts printing phase lines. */
  startReporting(): void;
  /** Puts a manifest file into the table as a user would; returns the pool's name. */
  applyManifest(path: string): Promise<string>;
  /** Stops everything, waiting for handler invocations in flight; then releases the SDK clients. */
  stop(): Promise<void>;
}

export function createLocalController(options: LocalControllerOptions): LocalController {
  const { config } = options;
  const logger = createControllerLogger();
  const runtime = createControllerRuntime(config, logger);
  const handleStream = createStreamHandler(() => runtime);
  const handleSchedule = createScheduleHandler(() => runtime);
  const handleAlarm = createAlarmHandler(() => runtime);
  // These clients take their endpoint from AWS_ENDPOINT_URL, like the runtime's own.
  const streams = new DynamoDBStreamsClient({ region: config.region });
  const cloudwatch = new CloudWatchClient({ region: config.region });
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: config.region }), {
    marshallOptions: { removeUndefinedValues: true },
  });

  const reporter = new PhaseReporter({
    listStatuses: async () => {
      const pools = await runtime.table.scanPools();
      const statuses = new Map<string, PrefectWorkerPoolStatus>();
      for (const pool of pools) if (pool.status) statuses.set(pool.name, pool.status.status);
      return statuses;
    },
    write: options.writePhaseLine,
    logger,
  });
  const poller = new StreamPoller({
    streams,
    streamArn: options.streamArn,
    // As the Lambda entry does: metrics are flushed at the end of every invocation.
    handler: async (event, context) => {
      try {
        return await handleStream(event, context);
      } finally {
        runtime.metrics.flush();
      }
    },
    logger,
    afterInvocation: () => reporter.nudge(),
    onDiscarded: (records, reason) => options.writeNotice(describeDiscarded(records, reason)),
  });
  const timer = new ScheduleTimer({
    handler: async (event, context) => {
      try {
        return await handleSchedule(event, context);
      } finally {
        runtime.metrics.flush();
      }
    },
    intervalMs: options.scheduleIntervalMs,
    region: config.region,
    logger,
    afterInvocation: () => reporter.nudge(),
  });
  const watcher = new AlarmWatcher({
    cloudwatch,
    instanceId: config.instanceId,
    region: config.region,
    handler: async (event, context) => {
      try {
        return await handleAlarm(event, context);
      } finally {
        runtime.metrics.flush();
      }
    },
    logger,
    ...(options.alarmPollIntervalMs !== undefined ? { pollIntervalMs: options.alarmPollIntervalMs } : {}),
    afterInvocation: () => reporter.nudge(),
  });

  return {
    start() {
      poller.start();
      timer.start();
      watcher.start();
    },
    startReporting() {
      reporter.start();
    },
    applyManifest: (path) => applyManifestFile(documents, config.tableName, path),
    async stop() {
      await Promise.all([poller.stop(), timer.stop(), watcher.stop()]);
      await reporter.stop();
      streams.destroy();
      cloudwatch.destroy();
      documents.destroy();
    },
  };
}

/** The stream ARN of an existing table, for running against a deployment's table. */
export async function findTableStreamArn(region: string, tableName: string): Promise<string> {
  const dynamodb = new DynamoDBClient({ region });
  try {
    const table = (await dynamodb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    if (!table?.LatestStreamArn || table.StreamSpecification?.StreamEnabled === false) {
      throw new Error(`table ${tableName} has no stream: enable one with NEW_AND_OLD_IMAGES`);
    }
    return table.LatestStreamArn;
  } finally {
    dynamodb.destroy();
  }
}

function describeDiscarded(records: readonly DynamoDBRecord[], reason: string): string {
  const pools = [
    ...new Set(records.map((record) => record.dynamodb?.Keys?.[poolTableKeys.partitionKey]?.S ?? '?')),
  ];
  return `stream: skipped ${records.length} record(s) for pool ${pools.join(', ')} (${reason}); see the controller log`;
}
