import { emittingDeliveryMetrics } from '../../shared/middleware/delivery-metrics';
import { renderPage } from '../../shared/approvals/links/pages';
import { SecretSigningKeySource } from '../../shared/approvals/links/secret-signing-keys';
import {
  serveApprovalPage,
  type PageOutcome,
  type ServeApprovalPageDeps,
} from '../../shared/approvals/links/serve-approval-page';
import { DynamoApprovalStore } from '../../shared/aws/approval-store.adapter';
import { DynamoDeploymentRecords } from '../../shared/aws/deployment-records.adapter';
import { SecretsManagerSecretSource } from '../../shared/aws/secrets.adapter';
import { StepFunctionsExecutionControl } from '../../shared/aws/step-functions.adapter';
import { systemClock } from '../../shared/clock';
import { readRuntimeEnv } from '../../shared/config/runtime-env';
import { originOf } from '../../shared/http/origin';
import { httpHandler, httpRoute, type HttpResponse } from '../../shared/middleware/http-handler';
import { metrics } from '../../shared/middleware/lambda-step';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';
import { PAGE_HEADERS, pageRequest, pageResponse } from './page-http';

export { MAX_FORM_BYTES, MAX_QUERY_CHARS, PAGE_HEADERS as SECURITY_HEADERS } from './page-http';
export type { PageOutcome } from '../../shared/approvals/links/serve-approval-page';
export type PageResponse = HttpResponse;

export interface ApprovalPageDeps extends ServeApprovalPageDeps {
  /** The links' public origin: when set, a POST whose `Origin` names another one is refused. */
  baseUrl?: string;
  /** Told what each request became (the Lambda wiring counts them as metrics). */
  onOutcome?: (outcome: PageOutcome) => void;
}

/**
 * The approval pages behind the links in approval emails (API Gateway HTTP API, payload v2): reads the
 * request, lets `serveApprovalPage` decide which page it gets, answers it with its status and headers.
 * Never throws: a client mistake is a 4xx page, an AWS failure a 503 page, a bug a bare 500 page.
 */
export function createApprovalPage(deps: ApprovalPageDeps) {
  const expectedOrigin = originOf(deps.baseUrl);
  const failure = { body: renderPage({ kind: 'internal-error' }), outcome: 'internal-error' as const };
  return httpRoute(
    {
      headers: PAGE_HEADERS,
      failure: { ...failure, logMessage: 'approval page failed' },
      headLikeGet: true,
      ...(deps.onOutcome && { onOutcome: deps.onOutcome }),
    },
    async (event) => pageResponse(await serveApprovalPage(pageRequest(event, expectedOrigin), deps)),
  );
}

// ---------------------------------------------------------------------------------------------- wiring

/** The function's variables: the signing keys' secret and the public base URL, validated at cold start. */
export function approvalPageEnvironment(env?: NodeJS.ProcessEnv) {
  const keys = ['APPROVAL_LINK_KEY_SECRET_NAME', 'APPROVAL_BASE_URL'] as const;
  return env ? readRuntimeEnv(keys, env) : readRuntimeEnv(keys);
}

export const handler = httpHandler('approval-page', () => {
  const env = approvalPageEnvironment();
  return createApprovalPage({
    store: new DynamoApprovalStore({ table: lambdaPipelineTable() }),
    executions: new StepFunctionsExecutionControl(),
    records: emittingDeliveryMetrics(new DynamoDeploymentRecords({ table: lambdaPipelineTable() })),
    clock: systemClock,
    keys: new SecretSigningKeySource(new SecretsManagerSecretSource(), env.APPROVAL_LINK_KEY_SECRET_NAME),
    ...(env.APPROVAL_BASE_URL && { baseUrl: env.APPROVAL_BASE_URL }),
    onOutcome: (outcome) => metrics.addMetric(`approval-page.${outcome}`, 'Count', 1),
  });
});
