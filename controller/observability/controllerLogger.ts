import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs; each reconcile logs through a child carrying the pool as a persistent key. */
export function createControllerLogger(): Logger {
  return new Logger({ serviceName: 'prefect-ecs-operator' });
}
