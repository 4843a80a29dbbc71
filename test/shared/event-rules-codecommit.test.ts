import { patternFor } from '../../shared/event-rules';
import { matchesEventPattern } from '../../local-runtime/event-pattern';
import { loadEvent, sampleConfig } from '../support/fixtures';

describe('eventRules', () => {
  const tagInOrdersApi = loadEvent('codecommit-tag-created.json');
  const tagIn = (repositoryName: string) => ({
    ...tagInOrdersApi,
    resources: [`arn:aws:codecommit:eu-west-1:123456789012:${repositoryName}`],
    detail: { ...tagInOrdersApi.detail, repositoryName },
  });

  it('when no service names a CodeCommit repository, the CodeCommit rule matches no tag in the account', () => {
    // Prepare: the sample's services are on GitHub
    const config = sampleConfig();

    // Act
    const pattern = patternFor(config, 'codeCommitTagCreated');

    // Assess
    expect(matchesEventPattern(pattern, tagInOrdersApi)).toBe(false);
    expect(matchesEventPattern(pattern, tagIn('some-other-team'))).toBe(false);
  });

  it('when a service names its CodeCommit repository, the rule matches tags there and nowhere else', () => {
    // Prepare
    const config = sampleConfig();
    config.services[0]!.gitRepository = 'orders-api';

    // Act
    const pattern = patternFor(config, 'codeCommitTagCreated');

    // Assess
    expect(matchesEventPattern(pattern, tagInOrdersApi)).toBe(true);
    expect(matchesEventPattern(pattern, tagIn('some-other-team'))).toBe(false);
  });
});
