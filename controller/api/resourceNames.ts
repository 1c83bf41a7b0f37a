/**
 * Every AWS name the controller derives for a pool, in one place. Names are deterministic from
 * (controller instance, pool), so a repeated create finds the existing resource instead of making a twin,
 * and validation can check each against its AWS limit before anything is created.
 */
export interface PoolResourceNames {
  readonly serviceName: string;
  readonly taskDefinitionFamily: string;
  readonly securityGroupName: string;
  readonly containerName: string;
  readonly logStreamPrefix: string;
  readonly alarmNamePrefix: string;
}

/** AWS's limits for the derived names (characters). */
export const awsNameLimits: Readonly<Record<keyof PoolResourceNames, number>> = {
  serviceName: 255,
  taskDefinitionFamily: 255,
  securityGroupName: 255,
  containerName: 255,
  logStreamPrefix: 512,
  // The longest alarm suffix is "-backlog-scale-out" style, kept under 40 characters.
  alarmNamePrefix: 255 - 40,
};

/**
 * Every pool alarm of a controller instance starts with this: `<instance>-<pool>-<role>`. Instance ids
 * have no hyphen, so one instance's prefix never matches another's names.
 */
export function instanceAlarmNamePrefix(instanceId: string): string {
  return `${instanceId}-`;
}

export function poolResourceNames(instanceId: string, poolName: string): PoolResourceNames {
  const stem = `${instanceId}-${poolName}`;
  return {
    serviceName: stem,
    taskDefinitionFamily: stem,
    securityGroupName: `${stem}-workers`,
    containerName: 'worker',
    logStreamPrefix: poolName,
    alarmNamePrefix: `${instanceAlarmNamePrefix(instanceId)}${poolName}-`,
  };
}

/** Tag keys the controller puts on everything it owns; specs may not use them. */
export const ownershipTagKeys = {
  managedBy: 'prefect-ecs-operator:managed-by',
  instance: 'prefect-ecs-operator:instance',
  pool: 'prefect-ecs-operator:pool',
  contentHash: 'prefect-ecs-operator:content-hash',
} as const;

export const managedByTagValue = 'prefect-ecs-operator';
export const reservedTagPrefix = 'prefect-ecs-operator:';
