/**
 * SESv2 SendEmail authorises every resource the email names: the sending identity and, when the email
 * goes through a configuration set (APPROVAL_SES_CONFIGURATION_SET), that configuration set too
 * (resource type `configuration-set` of the Service Authorization Reference:
 * arn:${Partition}:ses:${Region}:${Account}:configuration-set/${ConfigurationSetName}).
 */
import {
  actionsOf,
  asArray,
  functionLogicalId,
  packagedTemplateForFile,
  statementsOfFunction,
  type PolicyStatement,
} from '../support/packaged-template';

const template = packagedTemplateForFile();

describe('approval emails through SES', () => {
  let sendEmail: PolicyStatement;
  beforeAll(() => {
    const statements = statementsOfFunction(template(), 'requestApproval').filter((s) =>
      actionsOf(s).includes('ses:SendEmail'),
    );
    expect(statements).toHaveLength(1);
    sendEmail = statements[0]!;
  });

  test('when the emails name a configuration set, the role may send through it as well as from the identity', () => {
    const resources = asArray(sendEmail.Resource);
    expect(resources).toContainEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*',
    });
    expect(resources).toContainEqual({
      'Fn::If': [
        'HasApprovalSesConfigurationSet',
        // The sample packaging sets no configuration set (param approvalSesConfigurationSet is empty).
        { 'Fn::Sub': 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/' },
        { Ref: 'AWS::NoValue' },
      ],
    });
  });

  test('the configuration set is granted only when one is configured, and the function is told its name', () => {
    const conditions = (template() as unknown as { Conditions: Record<string, unknown> }).Conditions;
    expect(conditions.HasApprovalSesConfigurationSet).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
    const fn = template().Resources[functionLogicalId('requestApproval')]!;
    const variables = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.APPROVAL_SES_CONFIGURATION_SET).toBe('');
  });
});
