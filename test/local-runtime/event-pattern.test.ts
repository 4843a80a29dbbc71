import {
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from '../../local-runtime/event-pattern';

type Pattern = Record<string, unknown>;

/** Asserts which events a pattern matches and which it rejects, one expectation per event. */
function expectMatches(pattern: Pattern, matching: unknown[], rejected: unknown[]): void {
  for (const event of matching)
    expect({ event, matched: matchesEventPattern(pattern, event) }).toEqual({ event, matched: true });
  for (const event of rejected)
    expect({ event, matched: matchesEventPattern(pattern, event) }).toEqual({ event, matched: false });
}

function validationError(pattern: unknown): InvalidEventPatternError {
  try {
    validateEventPattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error('expected the pattern to be rejected');
}

// The sample event used throughout the EventBridge user guide.
const ec2Event = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

function ec2With(
  detail: Record<string, unknown>,
  top: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...ec2Event, ...top, detail: { ...ec2Event.detail, ...detail } };
}

describe('matchesEventPattern: documented examples', () => {
  it('when the pattern lists exact values for top-level and nested fields, it matches only events having all of them', () => {
    // Prepare
    const pattern = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
      detail: { state: ['initializing', 'running'] },
    };

    // Act + Assess
    expectMatches(
      pattern,
      [ec2Event, ec2With({ state: 'initializing' })],
      [
        ec2With({ state: 'stopped' }),
        ec2With({}, { 'detail-type': 'Other' }),
        { ...ec2Event, resources: [] },
      ],
    );
  });

  it('when several values are listed for a field, it matches an event with any of them', () => {
    // Prepare
    const pattern = { source: ['aws.ec2', 'aws.fargate'] };

    // Act + Assess
    expectMatches(pattern, [{ source: 'aws.ec2' }, { source: 'aws.fargate' }], [{ source: 'aws.s3' }]);
  });

  it('when matching exact values, it is case-sensitive and does not mix strings with numbers', () => {
    // Prepare
    const pattern = { source: ['aws.ec2'], detail: { count: [5] } };

    // Act + Assess
    expectMatches(
      pattern,
      [
        { source: 'aws.ec2', detail: { count: 5 } },
        { source: 'aws.ec2', detail: { count: 5.0 } },
      ],
      [
        { source: 'AWS.EC2', detail: { count: 5 } },
        { source: 'aws.ec2', detail: { count: '5' } },
      ],
    );
  });

  it('when a pattern field is missing from the event, it does not match', () => {
    // Prepare
    const pattern = { source: ['aws.ec2'], detail: { state: ['running'] } };

    // Act + Assess
    expectMatches(
      pattern,
      [ec2Event],
      [{ source: 'aws.ec2' }, { source: 'aws.ec2', detail: {} }, null, 'aws.ec2'],
    );
  });

  it('when the event field is an array, it matches if the intersection with the pattern values is non-empty', () => {
    // Prepare
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const matching = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };

    // Act + Assess
    expectMatches(
      pattern,
      [matching],
      [{ resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] }, { resources: [] }],
    );
  });

  it('when the event holds an array of objects, it matches fields within a single element only', () => {
    // Prepare
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };

    // Act
    const anna = matchesEventPattern({ employees: { firstName: ['Anna'] } }, event);
    const annaSmith = matchesEventPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event);
    const annaJones = matchesEventPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event);

    // Assess
    expect([anna, annaSmith, annaJones]).toEqual([true, true, false]);
  });

  it('when matching an empty string or null, it does not treat one as the other', () => {
    // Prepare
    const event = {
      version: '0',
      id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
      'detail-type': 'EC2 Instance Launch Successful',
      source: 'aws.autoscaling',
      account: '123456789012',
      time: '2015-11-11T21:31:47Z',
      region: 'us-east-1',
      resources: [],
      detail: { eventVersion: '', responseElements: null },
    };

    // Act
    const emptyString = matchesEventPattern({ detail: { eventVersion: [''] } }, event);
    const nullValue = matchesEventPattern({ detail: { responseElements: [null] } }, event);
    const emptyAgainstNull = matchesEventPattern({ detail: { responseElements: [''] } }, event);
    const nullAgainstEmpty = matchesEventPattern({ detail: { eventVersion: [null] } }, event);

    // Assess
    expect([emptyString, nullValue, emptyAgainstNull, nullAgainstEmpty]).toEqual([true, true, false, false]);
  });

  it('when a boolean is listed, it matches only that JSON boolean', () => {
    // Prepare
    const pattern = { detail: { enabled: [true] } };

    // Act + Assess
    expectMatches(
      pattern,
      [{ detail: { enabled: true } }],
      [{ detail: { enabled: false } }, { detail: { enabled: 'true' } }],
    );
  });

  it('when a leaf lists no values at all, it never matches', () => {
    // Prepare
    const pattern = { source: [] };

    // Act + Assess
    expectMatches(pattern, [], [{ source: 'aws.ec2' }, { source: [] }, {}]);
  });

  it('when using prefix, it matches strings starting with the value', () => {
    // Prepare
    const pattern = { time: [{ prefix: '2017-10-02' }] };

    // Act + Assess
    expectMatches(
      pattern,
      [{ time: '2017-10-02T18:43:48Z' }],
      [{ time: '2017-10-03T18:43:48Z' }, { time: 20171002 }, { other: '2017-10-02' }],
    );
  });

  it('when using prefix with equals-ignore-case, it matches the prefix in any casing', () => {
    // Prepare
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };

    // Act + Assess
    expectMatches(
      pattern,
      [
        { detail: { service: 'EventBridge' } },
        { detail: { service: 'EVENTBRIDGE' } },
        { detail: { service: 'eventbus' } },
      ],
      [{ detail: { service: 'SQS' } }, { detail: { service: 'Event' } }],
    );
  });

  it('when using suffix, it matches strings ending with the value, case-sensitively', () => {
    // Prepare
    const pattern = { FileName: [{ suffix: '.png' }] };

    // Act + Assess
    expectMatches(
      pattern,
      [{ FileName: 'image.png' }],
      [{ FileName: 'image.PNG' }, { FileName: 'image.jpg' }],
    );
  });

  it('when using suffix with equals-ignore-case, it matches the suffix in any casing', () => {
    // Prepare
    const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };

    // Act + Assess
    expectMatches(
      pattern,
      [{ detail: { FileName: 'image.png' } }, { detail: { FileName: 'image.PNG' } }],
      [{ detail: { FileName: 'image.gif' } }],
    );
  });

  it('when using equals-ignore-case, it matches the whole value in any casing', () => {
    // Prepare
    const pattern = { Name: [{ 'equals-ignore-case': 'alice' }] };

    // Act + Assess
    expectMatches(
      pattern,
      [{ Name: 'Alice' }, { Name: 'ALICE' }, { Name: 'alice' }],
      [{ Name: 'Alicia' }, { Name: 'alice ' }],
    );
  });

  it('when using wildcard, it matches any run of characters at each star', () => {
    // Prepare
    const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };

    // Act + Assess
    expectMatches(
      pattern,
      [
        { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders' },
        { EventBusArn: 'arn:aws:events:us-east-1::event-bus/' },
      ],
      [
        { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/orders' },
        { EventBusArn: 'arn:aws:events:us-east-1:123456789012:rule/orders' },
      ],
    );
  });

  it('when a wildcard escapes a star or a backslash, it matches those characters literally', () => {
    // Prepare
    const pattern = { source: [{ wildcard: 'Simple*Service' }], key: [{ wildcard: 'a\\*b\\\\*' }] };

    // Act + Assess
    expectMatches(
      pattern,
      [
        { source: 'SimpleQueueService', key: 'a*b\\tail' },
        { source: 'SimpleService', key: 'a*b\\' },
      ],
      [
        { source: 'SimpleQueueService', key: 'axb\\tail' },
        { source: 'Simple Service!', key: 'a*b\\' },
      ],
    );
  });

  it('when using anything-but with a string or a number, it matches any other value', () => {
    // Prepare
    const byString = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    const byNumber = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };

    // Act + Assess
    expectMatches(byString, [ec2Event, ec2With({ state: null })], [ec2With({ state: 'initializing' })]);
    expectMatches(byNumber, [ec2Event], [ec2With({ 'x-limit': 123 })]);
  });

  it('when using anything-but with lists of strings or of numbers, it matches values outside the list', () => {
    // Prepare
    const byStrings = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    const byNumbers = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };

    // Act + Assess
    expectMatches(byStrings, [ec2Event], [ec2With({ state: 'stopped' }), ec2With({ state: 'overloaded' })]);
    expectMatches(byNumbers, [ec2Event], [ec2With({ 'x-limit': 200 })]);
  });

  it('when using anything-but with prefix or suffix, it matches values not starting or ending that way', () => {
    // Prepare
    const byPrefix = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    const bySuffix = { FileName: [{ 'anything-but': { suffix: '.png' } }] };

    // Act + Assess
    expectMatches(byPrefix, [ec2Event], [ec2With({ state: 'initializing' })]);
    expectMatches(bySuffix, [{ FileName: 'notes.txt' }], [{ FileName: 'image.png' }]);
  });

  it('when using anything-but with equals-ignore-case, it rejects the value in any casing', () => {
    // Prepare
    const single = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
    const list = { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'Overloaded'] } }] };

    // Act + Assess
    expectMatches(single, [{ state: 'running' }], [{ state: 'INITIALIZING' }, { state: 'initializing' }]);
    expectMatches(list, [{ state: 'running' }], [{ state: 'STOPPED' }, { state: 'overloaded' }]);
  });

  it('when using anything-but with a wildcard, it rejects values the wildcard matches', () => {
    // Prepare
    const pattern = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };

    // Act + Assess
    expectMatches(pattern, [{ FilePath: '/usr/bin/node' }], [{ FilePath: '/usr/lib/node' }]);
  });

  it('when the field is missing, anything-but does not match', () => {
    // Prepare
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };

    // Act + Assess
    expectMatches(pattern, [], [{ detail: {} }, {}]);
  });

  it('when using numeric ranges and equality, it matches JSON numbers satisfying every comparison', () => {
    // Prepare
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };

    // Act + Assess
    expectMatches(
      pattern,
      [ec2Event, ec2With({ 'c-count': 0.5, 'd-count': -4 })],
      [
        ec2With({ 'c-count': 0 }),
        ec2With({ 'c-count': 6 }),
        ec2With({ 'd-count': 10 }),
        ec2With({ 'x-limit': 301.9 }),
        ec2With({ 'c-count': '5' }),
      ],
    );
  });

  it('when using cidr, it matches IPv4 and IPv6 addresses inside the block', () => {
    // Prepare
    const v4 = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    const v6 = { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } };

    // Act + Assess
    expectMatches(
      v4,
      [{ detail: { sourceIPAddress: '10.0.0.0' } }, { detail: { sourceIPAddress: '10.0.0.255' } }],
      [
        { detail: { sourceIPAddress: '10.0.1.0' } },
        { detail: { sourceIPAddress: '2001:db8::1' } },
        { detail: { sourceIPAddress: 'not-an-ip' } },
      ],
    );
    expectMatches(
      v6,
      [
        { detail: { sourceIPAddress: '2001:db8::1' } },
        { detail: { sourceIPAddress: '2001:0db8:ffff:0:0:0:0:ffff' } },
      ],
      [{ detail: { sourceIPAddress: '2001:db9::1' } }, { detail: { sourceIPAddress: '10.0.0.1' } }],
    );
  });

  it('when using exists false, it matches a missing field and a field that is not a leaf', () => {
    // Prepare
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    const withoutField = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { state: ['initializing', 'running'] },
    };
    const withIntermediateNode = {
      ...withoutField,
      detail: { ...withoutField.detail, 'c-count': { c1: 100 } },
    };

    // Act + Assess
    expectMatches(
      pattern,
      [withoutField, withIntermediateNode, {}],
      [ec2Event, ec2With({ 'c-count': null })],
    );
  });

  it('when using exists true, it matches any present leaf, including null', () => {
    // Prepare
    const pattern = { detail: { 'c-count': [{ exists: true }] } };

    // Act + Assess
    expectMatches(
      pattern,
      [ec2Event, ec2With({ 'c-count': null }), ec2With({ 'c-count': '' }), ec2With({ 'c-count': [1, 2] })],
      [{ detail: {} }, ec2With({ 'c-count': { c1: 100 } }), ec2With({ 'c-count': [] })],
    );
  });

  it('when combining operators as in the documented complex example, it matches only events meeting them all', () => {
    // Prepare
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };

    // Act + Assess
    expectMatches(
      pattern,
      [ec2Event],
      [
        ec2With({}, { time: '2017-10-03T00:00:00Z' }),
        ec2With({ state: 'initializing' }),
        ec2With({ 'source-ip': '11.0.0.1' }),
      ],
    );
  });

  it('when using $or, it matches if any alternative matches alongside the other fields', () => {
    // Prepare
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };

    // Act + Assess
    expectMatches(
      pattern,
      [
        { source: 'aws.cloudwatch', metricName: 'CPUUtilization' },
        { source: 'aws.cloudwatch', namespace: 'AWS/ES' },
      ],
      [
        { source: 'aws.cloudwatch', metricName: 'Other', namespace: 'AWS/S3' },
        { source: 'aws.ec2', metricName: 'CPUUtilization' },
      ],
    );
  });

  it('when $or alternatives nest ANDs and further $or, it evaluates them as nested boolean logic', () => {
    // Prepare
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2', 'AWS/ES'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ['Service'] },
      ],
      detail: { $or: [{ state: ['running'] }, { 'c-count': [{ numeric: ['>', 100] }] }] },
    };
    const base = { source: 'aws.cloudwatch', detail: { state: 'running' } };

    // Act + Assess
    expectMatches(
      pattern,
      [
        { ...base, metricName: 'ReadLatency' },
        { ...base, metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 },
        { ...base, scope: 'Service', detail: { state: 'stopped', 'c-count': 101 } },
      ],
      [
        { ...base, metricType: 'MetricType', namespace: 'AWS/EC2', metricId: 1 },
        { ...base, metricType: 'MetricType', spaceId: 1000 },
        { ...base, scope: 'Service', detail: { state: 'stopped', 'c-count': 5 } },
      ],
    );
  });
});

describe('matchesEventPattern: ECR push rule', () => {
  const ecrPushPattern = {
    source: ['aws.ecr'],
    'detail-type': ['ECR Image Action'],
    detail: {
      'action-type': ['PUSH'],
      result: ['SUCCESS'],
      'repository-name': ['orders-api', 'payments-api'],
      'image-tag': [{ prefix: 'sha-' }],
    },
  };

  function ecrEvent(detail: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      version: '0',
      id: '13cde686-328b-6117-af20-0e5566167482',
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      account: '123456789012',
      time: '2024-05-16T01:54:34Z',
      region: 'eu-west-1',
      resources: [],
      detail: {
        result: 'SUCCESS',
        'repository-name': 'orders-api',
        'image-digest': 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234abcd',
        'action-type': 'PUSH',
        'image-tag': 'sha-3f9c2e1',
        ...detail,
      },
    };
  }

  it('when a sha- tag is pushed successfully to a known repository, it matches', () => {
    // Prepare
    const events = [ecrEvent(), ecrEvent({ 'repository-name': 'payments-api' })];

    // Act
    const results = events.map((event) => matchesEventPattern(ecrPushPattern, event));

    // Assess
    expect(results).toEqual([true, true]);
  });

  it('when the push is of latest, failed, a delete or to an unknown repository, it does not match', () => {
    // Prepare
    const events = {
      latest: ecrEvent({ 'image-tag': 'latest' }),
      failure: ecrEvent({ result: 'FAILURE' }),
      deletion: ecrEvent({ 'action-type': 'DELETE' }),
      unknownRepository: ecrEvent({ 'repository-name': 'inventory-api' }),
      untagged: ecrEvent({ 'image-tag': undefined }),
    };

    // Act
    const results = Object.fromEntries(
      Object.entries(events).map(([name, event]) => [name, matchesEventPattern(ecrPushPattern, event)]),
    );

    // Assess
    expect(results).toEqual({
      latest: false,
      failure: false,
      deletion: false,
      unknownRepository: false,
      untagged: false,
    });
  });
});

describe('validateEventPattern', () => {
  it('when the pattern is valid, including every operator, it does not throw', () => {
    // Prepare
    const pattern = {
      source: ['aws.ecr', 5, true, null, ''],
      detail: {
        a: [
          { prefix: 'x' },
          { prefix: { 'equals-ignore-case': 'X' } },
          { suffix: 'y' },
          { 'equals-ignore-case': 'z' },
        ],
        b: [
          { wildcard: 'a*b\\*c' },
          { exists: false },
          { cidr: '::1/128' },
          { numeric: ['>=', -1, '<', 1e9] },
        ],
        c: [
          { 'anything-but': ['a', 'b'] },
          { 'anything-but': { wildcard: ['*x', 'y*'] } },
          { numeric: ['=', 0] },
        ],
        $or: [{ d: [1] }, { e: { f: [2] } }],
      },
    };

    // Act
    const act = (): void => validateEventPattern(pattern);

    // Assess
    expect(act).not.toThrow();
  });

  it('when an operator name is misspelt, it names the operator and the path of the alternative', () => {
    // Prepare
    const pattern = { source: ['aws.ecr'], detail: { 'image-tag': [{ prefx: 'sha-' }] } };

    // Act
    const error = validationError(pattern);

    // Assess
    expect(error).toBeInstanceOf(InvalidEventPatternError);
    expect(error.name).toBe('InvalidEventPatternError');
    expect(error.path).toBe('detail.image-tag[0]');
    expect(error.message).toBe('detail.image-tag[0]: unknown operator "prefx"');
  });

  it('when a leaf is a bare value rather than an array, it names the field', () => {
    // Prepare
    const pattern = { source: ['aws.ecr'], detail: { result: 'SUCCESS' } };

    // Act
    const error = validationError(pattern);

    // Assess
    expect(error.message).toBe(
      'detail.result: must be an array of values to match or a nested object, got the string "SUCCESS"',
    );
  });

  it('when a numeric comparison uses an unknown operator, it names its position', () => {
    // Prepare
    const pattern = { detail: { 'c-count': [{ numeric: ['>', 0, '=<', 5] }] } };

    // Act
    const error = validationError(pattern);

    // Assess
    expect(error.message).toBe(
      'detail.c-count[0].numeric[2]: unknown comparison operator "=<" (expected =, <, <=, >, >=)',
    );
  });

  it.each<[string, unknown, string]>([
    ['the pattern is not an object', ['aws.ecr'], 'event pattern: must be a JSON object, got an array'],
    ['the pattern is empty', {}, 'event pattern: must not be an empty object'],
    ['a nested object is empty', { detail: {} }, 'detail: must not be an empty object'],
    ['a leaf holds a nested array', { source: [['a']] }, 'source[0]: nested arrays are not allowed'],
    [
      'an operator object has two keys',
      { source: [{ prefix: 'a', suffix: 'b' }] },
      'source[0]: an operator object must have exactly one key, got 2 (prefix, suffix)',
    ],
    [
      'prefix is not a string',
      { source: [{ prefix: 5 }] },
      'source[0].prefix: must be a string, got number 5',
    ],
    [
      'exists is not a boolean',
      { a: [{ exists: 'true' }] },
      'a[0].exists: must be true or false, got the string "true"',
    ],
    [
      'a wildcard has consecutive stars',
      { a: [{ wildcard: 'a**b' }] },
      'a[0].wildcard: consecutive wildcards are not allowed in "a**b"',
    ],
    [
      'a wildcard has a bad escape',
      { a: [{ wildcard: 'a\\b' }] },
      'a[0].wildcard: invalid escape at index 1 in "a\\\\b"',
    ],
    [
      'a cidr is malformed',
      { ip: [{ cidr: '10.0.0.0/33' }] },
      'ip[0].cidr: "10.0.0.0/33" is not an IPv4 or IPv6 CIDR block',
    ],
    [
      'numeric has an odd length',
      { n: [{ numeric: ['>', 0, '<'] }] },
      'n[0].numeric: must be [operator, number] or [lower-operator, number, upper-operator, number]',
    ],
    [
      'numeric compares to a string',
      { n: [{ numeric: ['>', '0'] }] },
      'n[0].numeric[1]: must be a number, got the string "0"',
    ],
    [
      'numeric has two lower bounds',
      { n: [{ numeric: ['>', 0, '>=', 5] }] },
      'n[0].numeric[2]: only one lower bound (> or >=) is allowed',
    ],
    [
      'numeric has an empty range',
      { n: [{ numeric: ['>', 5, '<', 5] }] },
      'n[0].numeric: the lower bound 5 must be less than the upper bound 5',
    ],
    [
      'numeric is out of range',
      { n: [{ numeric: ['<', 6e9] }] },
      'n[0].numeric[1]: must be between -5000000000 and 5000000000, got 6000000000',
    ],
    [
      'anything-but mixes strings and numbers',
      { s: [{ 'anything-but': ['a', 1] }] },
      's[0].anything-but: a list must hold only strings or only numbers',
    ],
    [
      'anything-but uses an unsupported operator',
      { s: [{ 'anything-but': { numeric: ['>', 1] } }] },
      's[0].anything-but: unsupported anything-but operator "numeric"',
    ],
    ['$or has a single alternative', { $or: [{ a: ['x'] }] }, '$or: must be an array of at least 2 patterns'],
    [
      'a $or alternative is invalid',
      { detail: { $or: [{ a: ['x'] }, { b: 'y' }] } },
      'detail.$or[1].b: must be an array of values to match or a nested object, got the string "y"',
    ],
  ])('when %s, it throws naming the path', (_case, pattern, message) => {
    // Prepare: the pattern comes from the table

    // Act
    const error = validationError(pattern);

    // Assess
    expect(error.message).toBe(message);
  });

  it('when asked to match with an invalid pattern, matchesEventPattern throws rather than guessing', () => {
    // Prepare
    const pattern = { detail: { 'image-tag': [{ prefx: 'sha-' }] } };

    // Act
    const act = (): boolean => matchesEventPattern(pattern, { detail: { 'image-tag': 'sha-1' } });

    // Assess
    expect(act).toThrow(InvalidEventPatternError);
  });
});
