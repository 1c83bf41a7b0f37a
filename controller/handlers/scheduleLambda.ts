/** Lambda entry for the drift-pass schedule. Configuration is checked at cold start. */
import { createControllerRuntime } from './controllerRuntime.js';
import { createScheduleHandler } from './scheduleHandler.js';

const runtime = createControllerRuntime();
const handleSchedule = createScheduleHandler(() => runtime);

export const handler: typeof handleSchedule = async (event, context) => {
  try {
    return await handleSchedule(event, context);
  } finally {
    runtime.metrics.flush();
  }
};
