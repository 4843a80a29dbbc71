import { eventShapeHint } from '../../local-runtime/event-shape-hint';
import { loadEvent } from '../support/fixtures';

describe('eventShapeHint', () => {
  it('when given a PutEvents request, simulate says to give each entry as an event of its own', () => {
    // Act
    const hint = eventShapeHint({ Entries: [{ Source: 'aws.ecr' }] }, 'simulate');

    // Assess
    expect(hint).toBe(
      ' (this is a PutEvents request: give each entry as an event of its own, or POST it to /events of pipeline local)',
    );
  });

  it('when POST /events gets a PutEvents request, there is nothing to add (it takes them)', () => {
    // Act, Assess
    expect(eventShapeHint({ Entries: [] }, 'events')).toBe('');
  });

  it('when given an EventBridge event or a value that is no object, there is nothing to add', () => {
    // Act, Assess
    expect(eventShapeHint(loadEvent('ecr-push-orders-api.json'), 'simulate')).toBe('');
    expect(eventShapeHint([], 'simulate')).toBe('');
    expect(eventShapeHint(null, 'events')).toBe('');
  });
});
