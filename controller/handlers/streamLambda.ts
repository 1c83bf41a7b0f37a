/** Lambda entry for the table stream. Configuration is checked at cold start: a bad one fails init loudly. */
import { createControllerRuntime } from './controllerRuntime.js';
import { createStreamHandler } from './streamHandler.js';

const runtime = createControllerRuntime();
const handleStream = createStreamHandler(() => runtime);

export const handler: typeof handleStream = async (event, context) => {
  try {
    return await handleStream(event, context);
  } finally {
    runtime.metrics.flush();
  }
};
