/**
 * One controller Lambda: a handler entry bundled on its own by esbuild (ESM, minified, source maps, only
 * the modules that entry imports, the AWS SDK included so the deployed code is the tested code), on ARM64
 * and the current Node.js runtime, with its own role and its own log group with a retention.
 *
 * The role starts with nothing but writing to that log group; the stack grants the controller policy and
 * each trigger adds what it needs (e.g. reading the table's stream).
 */
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';

/** The repository root: the bundler's project root, where package-lock.json and the handlers live. */
export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The newest Node.js runtime Lambda offers (cdk-nag AwsSolutions-L1 asks for the latest). The bundle
 * targets Node 20, the oldest the project supports, which the newer runtime runs unchanged.
 */
export const controllerRuntime = Runtime.NODEJS_24_X;
export const bundleTarget = 'node20';

/** Some bundled dependencies still call require(); an ESM bundle needs one (as scripts/buildHandlers.ts). */
export const esmRequireBanner =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

export interface ControllerFunctionProps {
  readonly functionName: string;
  readonly description: string;
  /** The handler entry, relative to the repository root, e.g. `controller/handlers/streamLambda.ts`. */
  readonly entry: string;
  /** The complete environment (see infra/config/controllerLambdaEnvironment.ts). */
  readonly environment: Readonly<Record<string, string>>;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly logRetention: RetentionDays;
  /** RETAIN keeps the function's logs after the stack is deleted; default DESTROY. */
  readonly logRemovalPolicy?: RemovalPolicy;
}

export class ControllerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ControllerFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // Not the default role: that one carries the AWS managed AWSLambdaBasicExecutionRole policy, which may
    // write to every log group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.functionName}: prefect-ecs-operator controller`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      entry: path.join(repositoryRoot, props.entry),
      handler: 'handler',
      runtime: controllerRuntime,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment },
      projectRoot: repositoryRoot,
      depsLockFilePath: path.join(repositoryRoot, 'package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: bundleTarget,
        mainFields: ['module', 'main'],
        banner: esmRequireBanner,
        minify: true,
        sourceMap: true,
        bundleAwsSDK: true,
        // Bundle with the esbuild in node_modules; never fall back to a Docker image.
        forceDockerBundling: false,
        // Mappings only: stack traces resolve to file and line without shipping the sources again.
        sourcesContent: false,
        logLevel: LogLevel.WARNING,
      },
    });
  }
}

/** Default timeouts: a stream batch and a drift pass stop starting pools DEADLINE_SAFETY_MS before these. */
export const controllerTimeouts = {
  stream: Duration.minutes(5),
  schedule: Duration.minutes(5),
  alarm: Duration.minutes(1),
} as const;
