import type { Executor } from '../db/repos/executor.ts';
import type { CustomersRepo } from '../db/repos/customers-repo.ts';
import type { ProjectSettingsRow } from '../db/repos/settings-repo.ts';
import { evaluateSendPolicy, type PolicyDecision } from '../domain/send-policy.ts';

export interface SendPolicyInput {
  projectId: string;
  channel: 'whatsapp' | 'rcs';
  recipient: string;
  contentKind: string;
  consentExempt: boolean;
}

/**
 * The send policy (domain/send-policy.ts) for a message being accepted: reads the customer (one statement, which
 * also tells whether the customer has a thread on the channel to move up) and the project's window setting.
 */
export function createSendPolicy(deps: { customers: CustomersRepo; settings: (projectId: string, executor: Executor) => Promise<ProjectSettingsRow> }) {
  return {
    async evaluate(executor: Executor, input: SendPolicyInput, now: Date): Promise<PolicyDecision & { hasThread: boolean }> {
      const customer = await deps.customers.findForSend(executor, input.projectId, input.recipient, input.channel);
      const settings = await deps.settings(input.projectId, executor);
      return { ...evaluateSendPolicy(input, customer, settings.whatsapp_window_check === 1, now), hasThread: customer?.hasThread ?? false };
    },
  };
}

export type SendPolicy = ReturnType<typeof createSendPolicy>;
