/**
 * The pure edges of the AWS adapters: SDK errors to PascalCase reasons and retry decisions, SDK shapes to
 * the core's plain types, and stream records to pool keys.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { EC2ServiceException, type SecurityGroup } from '@aws-sdk/client-ec2';
import { ClientException, ServerException, type Service } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import {
  AwsAdapterError,
  isTransientAwsError,
  reasonFromError,
  SecurityGroupInUseError,
  StatusConflictError,
} from '../../../controller/aws/awsErrors.js';
import { toLiveSecurityGroup } from '../../../controller/aws/ec2Adapter.js';
import { toLiveService } from '../../../controller/aws/ecsAdapter.js';
import { PoisonRecordError, streamRecordKey } from '../../../controller/handlers/streamHandler.js';

function ec2Error(code: string, httpStatusCode = 400): EC2ServiceException {
  return new EC2ServiceException({
    name: code,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message: `${code} happened`,
  });
}

function awsError(name: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode } });
}

describe('reasonFromError', () => {
  it.each([
    [awsError('ThrottlingException'), 'Throttling'],
    [awsError('InvalidParameterException'), 'InvalidParameter'],
    [ec2Error('InvalidGroup.NotFound'), 'InvalidGroupNotFound'],
    [ec2Error('DependencyViolation'), 'DependencyViolation'],
    [ec2Error('RequestLimitExceeded', 503), 'RequestLimitExceeded'],
    [new ClientException({ message: 'no such family', $metadata: {} }), 'Client'],
    [new ServerException({ message: 'internal', $metadata: { httpStatusCode: 500 } }), 'Server'],
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'ECONNRESET'],
    [{ Code: 'AccessDenied' }, 'AccessDenied'],
    [awsError('lowercase-name'), 'Lowercasename'],
    [new TypeError('x is undefined'), 'TypeError'],
  ])('maps %o to %s', (error, expected) => {
    // act / assess
    expect(reasonFromError(error)).toBe(expected);
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['a string', 'boom'],
    ['undefined', undefined],
    ['null', null],
    ['an object without a name', { message: 'boom' }],
    ['a name that is only "Exception"', awsError('Exception')],
    ['a name starting with a digit', awsError('500Error')],
  ])('maps %s to UnknownError', (_what, error) => {
    // act / assess
    expect(reasonFromError(error)).toBe('UnknownError');
  });

  it("uses a domain error's own code", () => {
    // act / assess
    expect(reasonFromError(new StatusConflictError('analytics'))).toBe('StatusConflict');
    expect(reasonFromError(new SecurityGroupInUseError('sg-1'))).toBe('SecurityGroupInUse');
    expect(reasonFromError(new AwsAdapterError('empty', { code: 'EmptyResponse' }))).toBe('EmptyResponse');
  });

  it('always gives a PascalCase reason', () => {
    // prepare
    const errors = [awsError('weird name!'), awsError('x.y.z'), { code: 42 }, awsError('_underscore')];
    // act / assess
    for (const error of errors) expect(reasonFromError(error)).toMatch(/^[A-Z][A-Za-z0-9]*$/);
  });
});

describe('isTransientAwsError', () => {
  it.each([
    'ThrottlingException',
    'Throttling',
    'RequestLimitExceeded',
    'TooManyRequestsException',
    'ProvisionedThroughputExceededException',
  ])('retries throttling: %s', (name) => {
    // act / assess
    expect(isTransientAwsError(awsError(name))).toBe(true);
  });

  it('retries server-side faults by their 5xx status, whatever their name', () => {
    // act / assess
    expect(isTransientAwsError(awsError('SomethingBroke', 500))).toBe(true);
    expect(isTransientAwsError(awsError('SomethingBroke', 503))).toBe(true);
    expect(
      isTransientAwsError(new ServerException({ message: 'x', $metadata: { httpStatusCode: 500 } })),
    ).toBe(true);
  });

  it('retries a lost conditional status write', () => {
    // act / assess
    expect(isTransientAwsError(new StatusConflictError('analytics'))).toBe(true);
  });

  it('does not retry client errors, plain errors or non-errors', () => {
    // act / assess
    expect(isTransientAwsError(awsError('InvalidParameterException', 400))).toBe(false);
    expect(isTransientAwsError(ec2Error('InvalidGroup.NotFound'))).toBe(false);
    expect(isTransientAwsError(new SecurityGroupInUseError('sg-1'))).toBe(false);
    expect(isTransientAwsError(new Error('boom'))).toBe(false);
    expect(isTransientAwsError(undefined)).toBe(false);
    expect(isTransientAwsError(null)).toBe(false);
    expect(isTransientAwsError('ThrottlingException')).toBe(false);
  });
});

describe('toLiveSecurityGroup', () => {
  const tagged: SecurityGroup = {
    GroupId: 'sg-0123',
    GroupName: 'dev-analytics-workers',
    VpcId: 'vpc-0abc1234',
    Tags: [
      { Key: 'prefect-ecs-operator:instance', Value: 'dev' },
      { Key: 'Empty', Value: undefined },
    ],
  };

  it('splits grouped permissions into one rule per IPv4 CIDR, keeping descriptions', () => {
    // prepare
    const group: SecurityGroup = {
      ...tagged,
      IpPermissionsEgress: [
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '10.0.0.0/16', Description: 'vpc' }],
        },
        { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.2/32' }] },
      ],
    };
    // act
    const live = toLiveSecurityGroup(group);
    // assess
    expect(live).toEqual({
      groupId: 'sg-0123',
      groupName: 'dev-analytics-workers',
      vpcId: 'vpc-0abc1234',
      tags: { 'prefect-ecs-operator:instance': 'dev', Empty: '' },
      egress: [
        { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' },
        { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '10.0.0.0/16', description: 'vpc' },
        { protocol: 'udp', fromPort: 53, toPort: 53, cidr: '10.0.0.2/32' },
      ],
      foreignEgress: [],
    });
  });

  it("reads EC2's default allow-all rule as protocol all with ports -1, and its IPv6 half as foreign", () => {
    // prepare
    const group: SecurityGroup = {
      ...tagged,
      IpPermissionsEgress: [
        { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
      ],
    };
    // act
    const live = toLiveSecurityGroup(group);
    // assess
    expect(live.egress).toEqual([{ protocol: 'all', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' }]);
    expect(live.foreignEgress).toEqual([{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }]);
  });

  it('keeps IPv6, prefix-list and group-pair parts verbatim as foreign, apart from the IPv4 rules', () => {
    // prepare
    const group: SecurityGroup = {
      ...tagged,
      IpPermissionsEgress: [
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          IpRanges: [{ CidrIp: '0.0.0.0/0' }],
          Ipv6Ranges: [{ CidrIpv6: '::/0' }],
          PrefixListIds: [{ PrefixListId: 'pl-1' }],
          UserIdGroupPairs: [],
        },
        { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: 'sg-db' }] },
      ],
    };
    // act
    const live = toLiveSecurityGroup(group);
    // assess
    expect(live.egress).toEqual([{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' }]);
    expect(live.foreignEgress).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        Ipv6Ranges: [{ CidrIpv6: '::/0' }],
        PrefixListIds: [{ PrefixListId: 'pl-1' }],
      },
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: 'sg-db' }] },
    ]);
  });

  it('keeps a permission of a protocol the controller never creates whole, as foreign', () => {
    // prepare
    const icmp = { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] };
    // act
    const live = toLiveSecurityGroup({ ...tagged, IpPermissionsEgress: [icmp] });
    // assess
    expect(live.egress).toEqual([]);
    expect(live.foreignEgress).toEqual([icmp]);
  });

  it('reads numeric protocol numbers as tcp and udp', () => {
    // act
    const live = toLiveSecurityGroup({
      ...tagged,
      IpPermissionsEgress: [
        { IpProtocol: '6', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        { IpProtocol: '17', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.2/32' }] },
      ],
    });
    // assess
    expect(live.egress.map((rule) => rule.protocol)).toEqual(['tcp', 'udp']);
  });

  it('fills absent fields with empty values', () => {
    // act / assess
    expect(toLiveSecurityGroup({})).toEqual({
      groupId: '',
      groupName: '',
      vpcId: '',
      tags: {},
      egress: [],
      foreignEgress: [],
    });
  });
});

describe('toLiveService', () => {
  it('maps a described service with its tags and deployments', () => {
    // prepare
    const service: Service = {
      serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/c/dev-analytics',
      serviceName: 'dev-analytics',
      status: 'ACTIVE',
      desiredCount: 3,
      runningCount: 2,
      pendingCount: 1,
      taskDefinition: 'arn:td:2',
      tags: [{ key: 'prefect-ecs-operator:instance', value: 'dev' }, { key: 'NoValue' }],
      deployments: [
        { status: 'PRIMARY', rolloutState: 'IN_PROGRESS', taskDefinition: 'arn:td:2' },
        { status: 'ACTIVE' },
      ],
    };
    // act
    const live = toLiveService(service);
    // assess
    expect(live).toEqual({
      serviceArn: service.serviceArn,
      serviceName: 'dev-analytics',
      status: 'ACTIVE',
      desiredCount: 3,
      runningCount: 2,
      pendingCount: 1,
      taskDefinitionArn: 'arn:td:2',
      tags: { 'prefect-ecs-operator:instance': 'dev', NoValue: '' },
      deployments: [
        { status: 'PRIMARY', rolloutState: 'IN_PROGRESS', taskDefinitionArn: 'arn:td:2' },
        { status: 'ACTIVE' },
      ],
    });
  });

  it('defaults absent fields, and a negative pending count to zero', () => {
    // act
    const live = toLiveService({ pendingCount: -1 });
    // assess
    expect(live).toEqual({
      serviceArn: '',
      serviceName: '',
      status: 'UNKNOWN',
      desiredCount: 0,
      runningCount: 0,
      pendingCount: 0,
      taskDefinitionArn: '',
      tags: {},
      deployments: [],
    });
  });
});

describe('streamRecordKey', () => {
  const record = (keys: unknown, eventID = 'evt-1'): DynamoDBRecord =>
    ({ eventID, eventName: 'MODIFY', dynamodb: { Keys: keys } }) as DynamoDBRecord;

  it('reads the pool name and whether the record is about a spec item', () => {
    // act / assess
    expect(streamRecordKey(record({ pk: { S: 'analytics' }, sk: { S: 'spec' } }))).toEqual({
      pool: 'analytics',
      isSpec: true,
    });
    expect(streamRecordKey(record({ pk: { S: 'analytics' }, sk: { S: 'status' } }))).toEqual({
      pool: 'analytics',
      isSpec: false,
    });
  });

  it.each([
    ['no keys at all', undefined],
    ['no sort key', { pk: { S: 'analytics' } }],
    ['no partition key', { sk: { S: 'spec' } }],
    ['an empty pool name', { pk: { S: '' }, sk: { S: 'spec' } }],
    ['a numeric partition key', { pk: { N: '1' }, sk: { S: 'spec' } }],
    ['a binary sort key', { pk: { S: 'analytics' }, sk: { B: 'c3BlYw==' } }],
  ])('rejects a record with %s as poison, naming the record', (_what, keys) => {
    // act / assess
    expect(() => streamRecordKey(record(keys, 'evt-42'))).toThrow(PoisonRecordError);
    expect(() => streamRecordKey(record(keys, 'evt-42'))).toThrow(/evt-42.*pk\/sk/);
  });

  it('rejects a record without a dynamodb section', () => {
    // act / assess
    expect(() => streamRecordKey({ eventID: 'evt-7' } as DynamoDBRecord)).toThrow(PoisonRecordError);
  });
});
