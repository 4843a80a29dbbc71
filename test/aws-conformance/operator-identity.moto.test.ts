import { STSClient } from '@aws-sdk/client-sts';
import { awsOperatorIdentity } from '../../shared/aws/operator-identity.adapter';
import { MOTO_ACCOUNT, startMotoServer, type MotoServer } from '../support/moto-server';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startMotoServer();
}, 90_000);
afterAll(() => moto?.stop());

describe('operator identity against moto (STS GetCallerIdentity)', () => {
  it('when the CLI asks who runs it, it reads the caller ARN moto answers and names the IAM user', async () => {
    // Prepare
    const client = moto.adapterClient('operator-identity.adapter', STSClient, 'us-east-1');

    // Act
    const identity = await awsOperatorIdentity(client);

    // Assess
    expect(identity.arn).toBe(`arn:aws:sts::${MOTO_ACCOUNT}:user/moto`);
    expect(identity.name).toBe('moto');
  });
});
