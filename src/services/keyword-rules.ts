import { AppError, invalidField, notFound } from '../lib/app-error.ts';
import { createId } from '../lib/ids.ts';
import { buildPage, pairKey, parsePairKey, type Page, type PageRequest } from '../lib/pagination.ts';
import type { Clock } from '../lib/time.ts';
import type { ConversationsRepo, KeywordRuleRow } from '../db/repos/conversations-repo.ts';
import type { SettingsRepo } from '../db/repos/settings-repo.ts';
import { isUniqueViolation } from '../db/errors.ts';
import {
  channelGroupOf, consentChannelsOf, keywordPattern, matchKeyword, normalizeKeyword,
  type ChannelGroup, type KeywordAction, type KeywordRule,
} from '../domain/keywords.ts';

export interface KeywordRuleView {
  id: string;
  keyword: string;
  action: KeywordAction;
  reply_text: string | null;
  channel_group: ChannelGroup;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

const toView = (r: KeywordRuleRow): KeywordRuleView => ({
  id: r.id, keyword: r.keyword, action: r.action, reply_text: r.reply_text, channel_group: r.channel_group, enabled: r.enabled === 1,
  created_at: r.created_at, updated_at: r.updated_at,
});

const toRule = (r: KeywordRuleRow): KeywordRule => ({
  id: r.id, keyword: r.keyword, action: r.action, replyText: r.reply_text, channelGroup: r.channel_group, enabled: r.enabled === 1,
});

function checkKeyword(keyword: string): string {
  const normalized = normalizeKeyword(keyword);
  if (!keywordPattern.test(normalized) || normalized.length > 50) {
    throw invalidField('keyword', 'keyword must be 1 to 50 letters or digits (words may be joined by a space, - or _)');
  }
  return normalized;
}

/** Keyword auto-response rules per project and channel group, and a dry run that says what a text would do. */
export function createKeywordRulesService(deps: { conversations: ConversationsRepo; settings: SettingsRepo; clock: Clock }) {
  return {
    async list(projectId: string, group: ChannelGroup | undefined, page: PageRequest): Promise<Page<KeywordRuleView>> {
      const after = parsePairKey(page.after);
      const afterGroup = after?.[0];
      if (afterGroup !== undefined && afterGroup !== 'whatsapp' && afterGroup !== 'rcs_sms') throw invalidField('cursor', 'cursor is not one this API returned');
      const rows = await deps.conversations.keywordRulesPage(projectId, group, {
        ...(after !== undefined && afterGroup !== undefined ? { after: { group: afterGroup, keyword: after[1] } } : {}), limit: page.limit + 1,
      });
      return buildPage(rows, page.limit, (r) => pairKey(r.channel_group, r.keyword), toView);
    },

    async create(projectId: string, input: { keyword: string; action: KeywordAction; reply_text?: string | null; channel_group: ChannelGroup; enabled?: boolean }): Promise<KeywordRuleView> {
      const now = deps.clock.now().toISOString();
      const row: KeywordRuleRow = {
        id: createId('kw'), project_id: projectId, channel_group: input.channel_group, keyword: checkKeyword(input.keyword), action: input.action,
        reply_text: input.reply_text ?? null, enabled: input.enabled === false ? 0 : 1, created_at: now, updated_at: now,
      };
      try {
        await deps.conversations.insertRule(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError(409, 'keyword_exists', `${row.keyword} already has a rule in the ${row.channel_group} list`, 'keyword');
        throw error;
      }
      return toView(row);
    },

    async update(projectId: string, id: string, input: { keyword?: string; action?: KeywordAction; reply_text?: string | null; enabled?: boolean }): Promise<KeywordRuleView> {
      const row = await deps.conversations.findRule(projectId, id);
      if (row === undefined) throw notFound('keyword rule');
      const next: KeywordRuleRow = {
        ...row,
        ...(input.keyword !== undefined ? { keyword: checkKeyword(input.keyword) } : {}),
        ...(input.action !== undefined ? { action: input.action } : {}),
        ...(input.reply_text !== undefined ? { reply_text: input.reply_text } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled ? 1 : 0 } : {}),
        updated_at: deps.clock.now().toISOString(),
      };
      try {
        await deps.conversations.updateRule(projectId, id, next);
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError(409, 'keyword_exists', `${next.keyword} already has a rule in the ${next.channel_group} list`, 'keyword');
        throw error;
      }
      return toView(next);
    },

    async remove(projectId: string, id: string): Promise<void> {
      if (!(await deps.conversations.deleteRule(projectId, id))) throw notFound('keyword rule');
    },

    /** What an inbound text would trigger, without doing it. */
    async dryRun(projectId: string, input: { text: string; channel: 'whatsapp' | 'rcs' | 'sms' }) {
      const group = channelGroupOf(input.channel);
      const settings = await deps.settings.get(projectId);
      const twoWay = (input.channel === 'whatsapp' ? settings.whatsapp_integration_id : settings.rcs_integration_id) !== null;
      const rule = matchKeyword(input.text, group, (await deps.conversations.keywordRules(projectId)).map(toRule));
      const rows = rule === undefined ? [] : [await deps.conversations.findRule(projectId, rule.id)];
      const view = rows[0] === undefined ? null : toView(rows[0]);
      return {
        channel_group: group,
        matched: rule !== undefined,
        rule: view,
        two_way_enabled: twoWay,
        would: rule === undefined ? [] : [
          // Consent changes whatever the settings (an opt-out is always honoured); only the reply needs a provider.
          ...(rule.action === 'no_action' ? [] : consentChannelsOf(group).map((c) => `${rule.action === 'revoke_consent' ? 'revoke' : 'grant'} ${c} consent`)),
          ...(rule.replyText ? [`reply "${rule.replyText}" through the default ${input.channel === 'whatsapp' ? 'WhatsApp' : 'RCS'} provider, even after an opt-out`]
            .map((what) => (twoWay ? what : `${what} (not now: two-way is not enabled for this channel)`)) : []),
        ],
      };
    },
  };
}

export type KeywordRulesService = ReturnType<typeof createKeywordRulesService>;
