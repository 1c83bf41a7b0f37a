/**
 * `poolctl validate -f FILE|DIR|-`: the controller's validation, locally, with no table needed. Checks
 * that depend on the controller's configuration use it when known (a running local mode, or
 * CONTROLLER_INSTANCE_ID / ALLOWED_SECRET_ARN_PREFIX / ALLOWED_TASK_ROLE_ARNS /
 * DEFAULT_WORKER_TASK_ROLE_ARN in the environment) and are otherwise left to the controller, with a note.
 */
import type { CommandContext } from './commandContext.js';
import { readManifests } from './manifestFiles.js';
import { checkManifests } from './manifestValidation.js';
import { InvalidManifestError } from './poolctlErrors.js';

export interface ValidateOptions {
  readonly file: readonly string[];
}

export async function runValidate(ctx: CommandContext, options: ValidateOptions): Promise<void> {
  const documents = await readManifests(options.file, { readStdin: ctx.io.readStdin });
  const known = ctx.validation({ withTarget: false });
  const checked = checkManifests(documents, known.context);
  for (const { name, document } of checked.valid) {
    ctx.out(`pool ${name}: valid (${document.origin.file}:${document.origin.line})`);
  }
  for (const problem of checked.problems) ctx.err(problem);
  if (known.skipped.length > 0) {
    ctx.err(
      `note: not checked here, the controller's configuration is unknown: ${known.skipped.join(', ')}; the controller checks them when the pool is applied`,
    );
  }
  if (checked.invalidCount > 0) {
    throw new InvalidManifestError(
      `${checked.invalidCount} of ${documents.length} manifest${documents.length === 1 ? ' is' : 's are'} invalid`,
    );
  }
}
