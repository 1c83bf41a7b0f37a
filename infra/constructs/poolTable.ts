/**
 * The pool table: the operator's API (README "The table contract"). Keys and the stream view come from
 * controller/api/tableContract.ts, the same declaration the local base and the controller use.
 */
import { Construct } from 'constructs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { poolTableKeys, poolTableStreamView } from '../../controller/api/tableContract.js';

export interface PoolTableProps {
  readonly tableName: string;
  /**
   * Production protection: deletion protection on, and the table is kept (RETAIN) when the stack is
   * deleted. Default false: `cdk destroy` deletes it with every spec in it.
   */
  readonly protectData?: boolean;
}

export class PoolTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: PoolTableProps) {
    super(scope, id);
    const protect = props.protectData ?? false;
    this.table = new Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: poolTableKeys.partitionKey, type: AttributeType.STRING },
      sortKey: { name: poolTableKeys.sortKey, type: AttributeType.STRING },
      // A few writes per pool change and a scan per drift pass: far below what provisioning would cost.
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: protect,
      removalPolicy: protect ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      // Encrypted at rest with an AWS owned key: no key to manage and no KMS request charges.
      encryption: TableEncryption.DEFAULT,
      stream: StreamViewType[poolTableStreamView],
    });
  }
}
