/**
 * Table stream → stream handler (DESIGN §6.3). The filter is the controller's own
 * (controller/handlers/streamEventFilter.ts): spec items only, so status writes never re-trigger the
 * controller. Failed records are reported one by one (ReportBatchItemFailures); a failing batch is split
 * (bisect) and retried a bounded number of times, then described in the failure queue, so one poison
 * record never blocks its shard.
 */
import { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { StartingPosition, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { streamFilterCriteria } from '../../controller/handlers/streamEventFilter.js';
import { acknowledgeWildcardResources } from '../config/nagAcknowledgements.js';
import { wildcardReasons } from '../config/wildcardGrants.js';

export interface PoolStreamTriggerProps {
  readonly table: ITable;
  readonly handler: IFunction;
  readonly failureQueue: IQueue;
  /** Attempts after the first before a batch goes to the failure queue. Default 5. */
  readonly retryAttempts?: number;
  /** Records per invocation. Default 25: a batch is reconciled with bounded concurrency in one invocation. */
  readonly batchSize?: number;
}

export class PoolStreamTrigger extends Construct {
  readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, props: PoolStreamTriggerProps) {
    super(scope, id);
    this.eventSource = new DynamoEventSource(props.table, {
      // From the oldest record still in the stream: nothing written before the mapping existed is lost.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? 25,
      // A short window gathers a burst (e.g. `poolctl apply` of many files) into fewer invocations.
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? 5,
      // Older than this, a record is moot: the drift pass has reconciled its pool since.
      maxRecordAge: Duration.hours(1),
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(props.failureQueue),
      filters: streamFilterCriteria.Filters.map((filter) => ({ pattern: filter.Pattern })),
    });
    props.handler.addEventSource(this.eventSource);
    // The stream read grant CDK adds to the handler's role includes dynamodb:ListStreams on "*".
    if (props.handler.role) {
      acknowledgeWildcardResources(props.handler.role, [
        { resource: '*', reason: wildcardReasons(['ListTableStreams']) },
      ]);
    }
  }
}
