/**
 * cdk-nag findings acknowledged where they arise, each with its rule id and a specific reason (cdk-nag 3
 * uses CDK's own `Validations.of(construct).acknowledge`). Wildcard-resource findings (AwsSolutions-IAM5)
 * are acknowledged one resource pattern at a time, never as a whole rule.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface WildcardResourceAcknowledgment {
  /** The resource pattern as written in the statement (tokens allowed). */
  readonly resource: string;
  readonly reason: string;
}

/** Why a secret name prefix, not a list of secrets (execution role and controller alike). */
export const allowedSecretsReason =
  'Secrets are readable only under the allowed name prefix (ALLOWED_SECRET_ARN_PREFIX), and the controller rejects specs naming secrets elsewhere. Secrets Manager appends a random suffix to every secret ARN and pools name their own secrets, so a prefix pattern is the narrowest stable form.';

export function acknowledgeFinding(scope: IConstruct, ruleId: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: ruleId, reason });
}

/** Acknowledges `AwsSolutions-IAM5[Resource::<pattern>]` for each pattern, on the IAM entity or an ancestor. */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  acknowledgments: readonly WildcardResourceAcknowledgment[],
): void {
  const stack = Stack.of(scope);
  for (const { resource, reason } of acknowledgments) {
    acknowledgeFinding(
      scope,
      `AwsSolutions-IAM5[Resource::${flattenReference(stack.resolve(resource))}]`,
      reason,
    );
  }
}

/**
 * A resolved CloudFormation value as cdk-nag names it in a finding: joins flattened, `{"Ref": "X"}` as
 * `<X>`, attributes as `<X.Attr>`.
 */
export function flattenReference(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
      return items.map(flattenReference).join(delimiter);
    }
    if ('Ref' in node) return `<${String(node.Ref)}>`;
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [resource, attribute] = node['Fn::GetAtt'] as [string, string];
      return `<${resource}.${attribute}>`;
    }
    if ('Fn::ImportValue' in node) return flattenReference(node['Fn::ImportValue']);
  }
  return JSON.stringify(value);
}
