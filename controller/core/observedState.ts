/**
 * What the controller saw in AWS for one pool, in the core's own plain types (no SDK types here): the
 * adapters translate SDK responses into these.
 */
import type { Protocol } from '../api/poolDefaults.js';
import type { LiveAlarm } from './poolAlarms.js';

export interface Tag {
  readonly key: string;
  readonly value: string;
}

export interface EgressRule {
  readonly protocol: Protocol;
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidr: string;
  readonly description?: string;
}

export interface LiveSecurityGroup {
  readonly groupId: string;
  readonly groupName: string;
  readonly vpcId: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Only IPv4 CIDR rules are representable; anything else (IPv6, prefix lists, group pairs) is listed in `foreignEgress`. */
  readonly egress: readonly EgressRule[];
  /** Egress permissions the controller never creates, kept verbatim so they can be revoked. */
  readonly foreignEgress: readonly unknown[];
}

export interface LiveDeployment {
  readonly status: string;
  readonly rolloutState?: string;
  readonly taskDefinitionArn?: string;
}

export interface LiveService {
  readonly serviceArn: string;
  readonly serviceName: string;
  /** ACTIVE, DRAINING or INACTIVE; anything but ACTIVE counts as absent. */
  readonly status: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly taskDefinitionArn: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly deployments: readonly LiveDeployment[];
}

export interface LiveTaskDefinition {
  readonly taskDefinitionArn: string;
  /** The content-hash tag the controller put on it; undefined for a revision registered by someone else. */
  readonly contentHash?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface PoolObservation {
  /** undefined: no group with the pool's name exists in the VPC. */
  readonly securityGroup?: LiveSecurityGroup;
  /** undefined: the service does not exist, or is not ACTIVE. */
  readonly service?: LiveService;
  /** The pool's alarms that exist, by name. */
  readonly alarms?: ReadonlyMap<string, LiveAlarm>;
}
