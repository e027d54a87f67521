/**
 * Keyword auto-responses (seed: "Two-way messaging and keywords auto responses"). Pure rules: how a keyword is
 * normalised, whether an inbound text starts with it, and the defaults every project starts with.
 */

export const keywordActions = ['revoke_consent', 'grant_consent', 'no_action'] as const;
export type KeywordAction = (typeof keywordActions)[number];

/** RCS and SMS share one list; WhatsApp has its own. */
export const channelGroups = ['rcs_sms', 'whatsapp'] as const;
export type ChannelGroup = (typeof channelGroups)[number];

export function channelGroupOf(channel: 'whatsapp' | 'rcs' | 'sms'): ChannelGroup {
  return channel === 'whatsapp' ? 'whatsapp' : 'rcs_sms';
}

/** The consent channels a rule in a group acts on. */
export function consentChannelsOf(group: ChannelGroup): Array<'whatsapp' | 'rcs' | 'sms'> {
  return group === 'whatsapp' ? ['whatsapp'] : ['rcs', 'sms'];
}

export interface KeywordRule {
  id: string;
  keyword: string;
  action: KeywordAction;
  replyText: string | null;
  channelGroup: ChannelGroup;
  enabled: boolean;
}

/** Upper case without accents or surrounding space: `" Stóp "` → `"STOP"`. */
export function normalizeKeyword(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '').trim().toUpperCase();
}

export const keywordPattern = /^[\p{L}\p{N}]+(?:[ _-][\p{L}\p{N}]+)*$/u;

/**
 * Whether `text` starts with `keyword` as a whole word, ignoring case, accents and leading space:
 * "STOP", "stop", "Stop please", "STOP.", "  stop", "Stóp" match STOP; "don't stop", "STOPPED", "STOPALL" do not.
 */
export function startsWithKeyword(text: string, normalizedKeyword: string): boolean {
  const normalized = normalizeKeyword(text);
  if (!normalized.startsWith(normalizedKeyword)) return false;
  const next = normalized.charAt(normalizedKeyword.length);
  return next === '' || !/[\p{L}\p{N}]/u.test(next);
}

/** The rule an inbound text triggers: enabled rules of the channel's group, the longest matching keyword first. */
export function matchKeyword(text: string, group: ChannelGroup, rules: readonly KeywordRule[]): KeywordRule | undefined {
  return rules
    .filter((r) => r.enabled && r.channelGroup === group)
    .sort((a, b) => b.keyword.length - a.keyword.length)
    .find((r) => startsWithKeyword(text, r.keyword));
}

const defaultReplies: Record<KeywordAction, string> = {
  revoke_consent: 'You have been unsubscribed and will receive no more messages. Reply START to subscribe again.',
  grant_consent: 'You are subscribed again. Reply STOP to unsubscribe.',
  no_action: 'Reply STOP to unsubscribe or START to subscribe again.',
};

/** Every project starts with these, in both channel groups. */
export const defaultKeywords: ReadonlyArray<{ keyword: string; action: KeywordAction; replyText: string }> = [
  ...['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'].map((keyword) => ({ keyword, action: 'revoke_consent' as const, replyText: defaultReplies.revoke_consent })),
  ...['START', 'JOIN', 'UNSTOP'].map((keyword) => ({ keyword, action: 'grant_consent' as const, replyText: defaultReplies.grant_consent })),
  ...['HELP', 'INFO'].map((keyword) => ({ keyword, action: 'no_action' as const, replyText: defaultReplies.no_action })),
];

/** The WhatsApp customer-service window (doc §6.1): 24 h from the customer's last inbound message. */
export const whatsappWindowMs = 24 * 60 * 60 * 1000;

export function whatsappWindow(lastInboundAt: Date | null, now: Date): { open: boolean; closesAt: Date | null } {
  if (lastInboundAt === null) return { open: false, closesAt: null };
  const closesAt = new Date(lastInboundAt.getTime() + whatsappWindowMs);
  return { open: closesAt.getTime() > now.getTime(), closesAt };
}
