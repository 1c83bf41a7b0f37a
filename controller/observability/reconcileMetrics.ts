/**
 * Controller metrics in CloudWatch embedded metric format: written to the log stream, no PutMetricData
 * call on the hot path.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ReconcileMetricsSink } from '../reconciler/reconcilerDependencies.js';
import type { ReconcileResult } from '../reconciler/reconcileResult.js';

export const metricsNamespace = 'PrefectEcsOperator';

export function createControllerMetrics(instanceId: string): Metrics {
  return new Metrics({
    namespace: metricsNamespace,
    serviceName: 'prefect-ecs-operator',
    defaultDimensions: { ControllerInstance: instanceId },
  });
}

export class EmfReconcileMetrics implements ReconcileMetricsSink {
  constructor(private readonly metrics: Metrics) {}

  record(result: ReconcileResult): void {
    this.metrics.addMetric('Reconciles', MetricUnit.Count, 1);
    this.metrics.addMetric('ReconcileDuration', MetricUnit.Milliseconds, result.durationMs);
    if (result.error) this.metrics.addMetric('ReconcileErrors', MetricUnit.Count, 1);
    if (result.driftCorrections > 0)
      this.metrics.addMetric('DriftCorrections', MetricUnit.Count, result.driftCorrections);
    if (result.actions.length > 0)
      this.metrics.addMetric('MutatingActions', MetricUnit.Count, result.actions.length);
  }

  recordDeferred(count: number): void {
    if (count > 0) this.metrics.addMetric('PoolsDeferred', MetricUnit.Count, count);
  }

  flush(): void {
    // An idle tick records nothing; publishing then would only log a warning every minute.
    if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
  }
}
