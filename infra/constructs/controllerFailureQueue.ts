/**
 * Where work the controller gave up on lands, for a person to look at: stream batches that kept failing
 * (the event source mapping's on-failure destination: the records' shard and sequence numbers, not the
 * items), alarm events whose handling failed after Lambda's retries, and events EventBridge could not
 * deliver. Nothing consumes it; an alarm fires when it is not empty. A lost stream record costs little:
 * the next drift pass reconciles every pool anyway.
 */
import { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { acknowledgeFinding } from '../config/nagAcknowledgements.js';

export interface ControllerFailureQueueProps {
  readonly queueName: string;
}

export class ControllerFailureQueue extends Construct {
  readonly queue: Queue;

  constructor(scope: Construct, id: string, props: ControllerFailureQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      queueName: props.queueName,
      // SQS-managed encryption: EventBridge and Lambda can write without a key policy to maintain.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeFinding(
      this.queue,
      'AwsSolutions-SQS3',
      "This queue is itself the dead-letter destination (stream on-failure destination, alarm handler on-failure destination, EventBridge targets' dead-letter queue); nothing consumes from it, so a queue behind it would never receive a message.",
    );
  }
}
