import type { TestCheck } from '../../shared/domain/traffic-shift-hook';

/** Blue-green test checks as a stage's plan carries them: a health check and one that reads a body. */
export const HEALTH_CHECK: TestCheck = {
  name: 'health',
  path: '/health',
  method: 'GET',
  expectStatus: 200,
  maxLatencyMs: 2000,
  timeoutMs: 5000,
};

export const ORDERS_CHECK: TestCheck = {
  name: 'orders',
  path: '/orders?limit=1',
  method: 'GET',
  expectStatus: 200,
  bodyContains: 'items',
  maxLatencyMs: 2000,
  timeoutMs: 5000,
};
