/** Lambda entry for alarm state changes (EventBridge). Configuration is checked at cold start. */
import { createAlarmHandler } from './alarmHandler.js';
import { createControllerRuntime } from './controllerRuntime.js';

const runtime = createControllerRuntime();
const handleAlarm = createAlarmHandler(() => runtime);

export const handler: typeof handleAlarm = async (event, context) => {
  try {
    return await handleAlarm(event, context);
  } finally {
    runtime.metrics.flush();
  }
};
