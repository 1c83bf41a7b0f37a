/**
 * Names of the resources the stacks make, from the controller instance id, so two environments share an
 * account without a clash. They follow the local base (controller/local/localInfrastructure.ts):
 * `prefect-ecs-operator-<instance>` as the stem.
 *
 * The controller's own alarms start with `PrefectEcsOperator-`, never with `<instance>-`: names starting
 * with `<instance>-` belong to pools (controller/api/resourceNames.ts), are routed to the alarm handler by
 * the EventBridge rule and are what the controller may change.
 */
export function operatorNameStem(instanceId: string): string {
  return `prefect-ecs-operator-${instanceId}`;
}

export function baseResourceNames(instanceId: string) {
  const stem = operatorNameStem(instanceId);
  return {
    stackName: `${stem}-base`,
    clusterName: stem,
    workerLogGroupName: `/${stem}/workers`,
  } as const;
}

export function controllerResourceNames(instanceId: string) {
  const stem = operatorNameStem(instanceId);
  return {
    stackName: `${stem}-controller`,
    tableName: `${stem}-pools`,
    functionName: (handler: string) => `${stem}-${handler}`,
    failureQueueName: `${stem}-failures`,
    healthTopicName: `${stem}-pool-health`,
    dashboardName: stem,
    controllerAlarmNamePrefix: `PrefectEcsOperator-${instanceId}-`,
  } as const;
}

/** Prefix of the names of every pool alarm this controller instance makes (`<instance>-<pool>-<role>`). */
export { instanceAlarmNamePrefix as poolAlarmNamePrefix } from '../../controller/api/resourceNames.js';
