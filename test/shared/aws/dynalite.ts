/**
 * DynamoDB's API over dynalite on a free loopback port, for the adapters' tests: the local runtime's own
 * starter (conditional writes behave as in DynamoDB; transactions and UpdateTimeToLive are not implemented).
 */
export { startDynalite, type LocalDynamo } from '../../../local-runtime/dynalite-server';
