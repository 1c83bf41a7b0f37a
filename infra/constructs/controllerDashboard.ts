/**
 * One CloudWatch dashboard for the controller and its pools: handler health, the controller's reconcile
 * metrics (EMF, namespace PrefectEcsOperator), and per-pool workers, CPU, memory and backlog found by
 * SEARCH, so pools appear without the dashboard being redeployed.
 */
import { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  type IAlarm,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { poolMetricsNamespace } from '../../controller/core/poolAlarms.js';
import { metricsNamespace } from '../../controller/observability/reconcileMetrics.js';

export interface ControllerDashboardProps {
  readonly dashboardName: string;
  readonly instanceId: string;
  readonly clusterName: string;
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly streamFunction: IFunction;
  readonly failureQueue: IQueue;
  readonly alarms: readonly IAlarm[];
}

/**
 * The dimensions of the controller's EMF metrics: the instance, and the `service` dimension Powertools
 * Metrics adds from its serviceName (controller/observability/reconcileMetrics.ts).
 */
export function controllerMetricDimensions(instanceId: string): Record<string, string> {
  return { service: 'prefect-ecs-operator', ControllerInstance: instanceId };
}

export class ControllerDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ControllerDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(1);
    const handlers = Object.entries(props.functions);
    const perHandler = (metric: (fn: IFunction) => IMetric) => handlers.map(([, fn]) => metric(fn));
    const reconcile = (metricName: string, statistic: string, label: string) =>
      new Metric({
        namespace: metricsNamespace,
        metricName,
        dimensionsMap: controllerMetricDimensions(props.instanceId),
        statistic,
        period,
        label,
      });
    // One line per pool, whatever pools exist when the dashboard is opened.
    const search = (expression: string, statistic: string) =>
      new MathExpression({ expression: `SEARCH('${expression}', '${statistic}', 60)`, period });
    const service = `ClusterName="${props.clusterName}"`;

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new TextWidget({
            markdown: `# prefect-ecs-operator \`${props.instanceId}\`\nController handlers, reconciles, and the pools in cluster \`${props.clusterName}\`.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new AlarmStatusWidget({
            title: 'Controller alarms',
            alarms: [...props.alarms],
            width: 24,
            height: 3,
          }),
        ],
        [
          new GraphWidget({
            title: 'Invocations',
            left: perHandler((fn) => fn.metricInvocations({ period, statistic: 'Sum' })),
            width: 8,
          }),
          new GraphWidget({
            title: 'Errors and throttles',
            left: [
              ...perHandler((fn) => fn.metricErrors({ period, statistic: 'Sum' })),
              ...perHandler((fn) => fn.metricThrottles({ period, statistic: 'Sum' })),
            ],
            width: 8,
          }),
          new GraphWidget({
            title: 'Duration p99 (ms)',
            left: perHandler((fn) => fn.metricDuration({ period, statistic: 'p99' })),
            width: 8,
          }),
        ],
        [
          new GraphWidget({
            title: 'Stream iterator age (ms) and failure queue',
            left: [props.streamFunction.metric('IteratorAge', { period, statistic: 'Maximum' })],
            right: [
              props.failureQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
            ],
            width: 8,
          }),
          new GraphWidget({
            title: 'Reconciles',
            left: [
              reconcile('Reconciles', 'Sum', 'reconciles'),
              reconcile('MutatingActions', 'Sum', 'mutating actions'),
              reconcile('DriftCorrections', 'Sum', 'drift corrections'),
            ],
            right: [
              reconcile('ReconcileErrors', 'Sum', 'errors'),
              reconcile('PoolsDeferred', 'Sum', 'deferred'),
            ],
            width: 8,
          }),
          new GraphWidget({
            title: 'Reconcile duration (ms)',
            left: [
              reconcile('ReconcileDuration', 'p50', 'p50'),
              reconcile('ReconcileDuration', 'p99', 'p99'),
            ],
            width: 8,
          }),
        ],
        [
          new GraphWidget({
            title: 'Running workers per pool',
            left: [
              search(
                `{ECS/ContainerInsights,ClusterName,ServiceName} MetricName="RunningTaskCount" ${service}`,
                'Average',
              ),
            ],
            width: 8,
          }),
          new GraphWidget({
            title: 'Worker CPU and memory per pool (%)',
            left: [
              search(`{AWS/ECS,ClusterName,ServiceName} MetricName="CPUUtilization" ${service}`, 'Average'),
            ],
            right: [
              search(
                `{AWS/ECS,ClusterName,ServiceName} MetricName="MemoryUtilization" ${service}`,
                'Average',
              ),
            ],
            width: 8,
          }),
          new GraphWidget({
            title: 'Backlog per worker',
            left: [
              search(
                `{${poolMetricsNamespace},ControllerInstance,Pool} ControllerInstance="${props.instanceId}"`,
                'Maximum',
              ),
            ],
            width: 8,
          }),
        ],
      ],
    });
  }
}
