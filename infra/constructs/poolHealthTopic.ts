/**
 * The SNS topic for health notifications: pools' health alarms (no running workers, memory high) when a
 * spec names no topic of its own, and the controller's own alarms. Encrypted with a customer managed key,
 * because CloudWatch alarms cannot publish to a topic under the AWS managed SNS key; TLS-only publishing.
 */
import { Construct } from 'constructs';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';

export interface PoolHealthTopicProps {
  readonly topicName: string;
  /** Subscribe this address (AWS sends a confirmation email first). Default: no subscription. */
  readonly email?: string;
  /** RETAIN keeps the key when the stack is deleted (it then waits 30 days for deletion anyway). */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

export class PoolHealthTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: PoolHealthTopicProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    this.key = new Key(this, 'Key', {
      description: `${props.topicName}: encrypts health notifications`,
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublishEncrypted',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // In a key policy "*" means this key.
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: 'prefect-ecs-operator pool health',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
  }
}
