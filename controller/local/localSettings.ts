/**
 * The local runner's own settings from the environment, checked, each failure one line that names the
 * variable.
 */
import { controllerEnvironment, type PrefectApiAccess } from '../config/controllerConfig.js';

/** A setting of the local runner is malformed. */
export class LocalSettingError extends Error {
  override readonly name = 'LocalSettingError';
}

/** Default seconds between drift passes locally; a deployment would run one a minute. */
export const defaultLocalScheduleSeconds = 15;

/** LOCAL_SCHEDULE_SECONDS in milliseconds: a whole number of seconds from 1 to 3600. */
export function scheduleIntervalFromEnvironment(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.LOCAL_SCHEDULE_SECONDS?.trim();
  if (raw === undefined || raw === '') return defaultLocalScheduleSeconds * 1000;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new LocalSettingError(
      `LOCAL_SCHEDULE_SECONDS must be a whole number from 1 to 3600 (got "${raw}")`,
    );
  }
  return seconds * 1000;
}

/**
 * PREFECT_API_ACCESS for a run on moto, e.g. the URL of a `prefect server start` on this machine.
 * Unset: undefined, and the local configuration keeps Prefect off (nothing on the internet is called).
 */
export function localPrefectApiAccess(
  env: Readonly<Record<string, string | undefined>>,
): PrefectApiAccess | undefined {
  const raw = env.PREFECT_API_ACCESS?.trim();
  if (raw === undefined || raw === '') return undefined;
  try {
    return controllerEnvironment.PREFECT_API_ACCESS.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new LocalSettingError(`PREFECT_API_ACCESS is malformed: ${reason} (got "${raw}")`);
  }
}
