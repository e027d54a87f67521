/**
 * The error catalogue: every Sinch reason code and sub-code (sinch-conversation-api.md §4.7) and our own pre-Sinch
 * error codes, each with a plain-language explanation and what the user can do about it.
 *
 * Pure data and lookups, no I/O. Codes are stored and shown as received and are never renamed. The class of a
 * Sinch code agrees with `classifyReasonCode` (api-v1 §6); a test holds the two together.
 */

/** Reason codes Sinch sends in `reason.code` of a `FAILED` or `SWITCHING_CHANNEL` report (§4.7). Open-ended. */
export const sinchReasonCodes = [
  'UNKNOWN',
  'INTERNAL_ERROR',
  'RATE_LIMITED',
  'RECIPIENT_INVALID_CHANNEL_IDENTITY',
  'RECIPIENT_NOT_REACHABLE',
  'RECIPIENT_NOT_OPTED_IN',
  'OUTSIDE_ALLOWED_SENDING_WINDOW',
  'CHANNEL_FAILURE',
  'CHANNEL_BAD_CONFIGURATION',
  'CHANNEL_CONFIGURATION_MISSING',
  'MEDIA_TYPE_UNSUPPORTED',
  'MEDIA_TOO_LARGE',
  'MEDIA_NOT_REACHABLE',
  'NO_CHANNELS_LEFT',
  'TEMPLATE_NOT_FOUND',
  'TEMPLATE_INSUFFICIENT_PARAMETERS',
  'TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION',
  'DELIVERY_TIMED_OUT',
  'DELIVERY_REJECTED_DUE_TO_POLICY',
  'CONTACT_NOT_FOUND',
  'BAD_REQUEST',
  'UNKNOWN_APP',
  'NO_CHANNEL_IDENTITY_FOR_CONTACT',
  'CHANNEL_REJECT',
  'NO_PERMISSION',
  'NO_PROFILE_AVAILABLE',
  'UNSUPPORTED_OPERATION',
  'INACTIVE_CREDENTIAL',
  'MESSAGE_EXPIRED',
  'MESSAGE_SPLIT_REQUIRED',
  'DELIVERY_REPORT_TIME_OUT',
] as const;
export type SinchReasonCode = (typeof sinchReasonCodes)[number];

/** Our own codes for a message that never reached Sinch (status `enqueued_failed`). */
export const serviceErrorCodes = [
  'INVALID_CREDENTIALS',
  'NO_ACCESS',
  'APP_NOT_FOUND',
  'INVALID_REQUEST',
  'INVALID_ARGUMENT',
  'SINCH_UNAVAILABLE',
  'CONSENT_REVOKED',
  'OUTSIDE_WHATSAPP_WINDOW',
  'INTEGRATION_DELETED',
  'NO_SENDER',
  'MISSING_ATTRIBUTE',
  'CONTENT_INVALID',
  'FREQUENCY_CAPPED',
  'CAMPAIGN_CANCELLED',
] as const;
export type ServiceErrorCode = (typeof serviceErrorCodes)[number];

export type ReasonCode = SinchReasonCode | ServiceErrorCode;

/** Sinch's `reason.sub_code` values (§4.7). Open-ended. */
export const reasonSubCodes = ['UNSPECIFIED_SUB_CODE', 'ATTACHMENT_REJECTED', 'MEDIA_TYPE_UNDETERMINED', 'INACTIVE_SENDER'] as const;
export type ReasonSubCode = (typeof reasonSubCodes)[number];

export type ErrorExplanation = { readonly description: string; readonly action: string };

export type ReasonCodeEntry = ErrorExplanation & {
  /** `rejected`: delivery was refused before it was attempted; `failed`: it was attempted or could not complete. */
  readonly class: 'rejected' | 'failed';
  /** `sinch`: sent by Sinch in a delivery report; `service`: ours, for a send that never reached Sinch. */
  readonly source: 'sinch' | 'service';
};

const unofficial = 'Sinch has not published an exact definition of this code.';

function sinch(cls: 'rejected' | 'failed', description: string, action: string): ReasonCodeEntry {
  return { class: cls, source: 'sinch', description, action };
}

function ours(cls: 'rejected' | 'failed', description: string, action: string): ReasonCodeEntry {
  return { class: cls, source: 'service', description, action };
}

export const reasonCodeCatalogue: Readonly<Record<ReasonCode, ReasonCodeEntry>> = Object.freeze({
  // Sinch: the channel or provider refused to attempt delivery (api-v1 §6 `rejected` list).
  RECIPIENT_NOT_OPTED_IN: sinch('rejected',
    'The customer has not agreed to receive messages from you on this channel, so the channel refused the message.',
    'Collect the customer\'s opt-in for this channel before messaging them again.'),
  DELIVERY_REJECTED_DUE_TO_POLICY: sinch('rejected',
    'The channel refused the message because it goes against one of the channel\'s rules, for example about content or about how many messages a customer may receive.',
    'Review the message content and how often this customer is messaged against the channel\'s policies, then adjust the campaign.'),
  CHANNEL_REJECT: sinch('rejected',
    'The channel permanently refused the message without giving a more specific reason.',
    'Do not resend the same message unchanged. Check its content and the recipient, and contact support if it keeps happening.'),
  OUTSIDE_ALLOWED_SENDING_WINDOW: sinch('rejected',
    'A free-form message can only be sent while the conversation window is open; on WhatsApp that is within 24 hours of the customer\'s last message to you.',
    'Send an approved WhatsApp template to start the conversation, or wait until the customer writes to you.'),
  BAD_REQUEST: sinch('rejected',
    'Sinch accepted the message at first, but the channel-specific check found something the channel cannot send, such as an unsupported field or a value that is too long.',
    'Review the message for this channel (buttons, text lengths, template set-up) and correct it before sending again.'),
  TEMPLATE_NOT_FOUND: sinch('rejected',
    'The message template the message refers to could not be found for this sender.',
    'Check the template name against the templates approved for your WhatsApp sender, and correct it in the campaign.'),
  TEMPLATE_INSUFFICIENT_PARAMETERS: sinch('rejected',
    'The template has placeholders that the message did not fill in.',
    'Provide a value for every placeholder of the template (for example the customer\'s first name) and make sure none is empty.'),
  TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION: sinch('rejected',
    'The template exists, but not in the language or version the message asked for.',
    'Choose a language the template is approved in (written like en_US), or add that translation to the template.'),
  MEDIA_TYPE_UNSUPPORTED: sinch('rejected',
    'The attached file is of a type this channel cannot send.',
    'Use a format the channel supports, such as JPEG or PNG images, MP4 video or PDF documents, and send again.'),
  MEDIA_TOO_LARGE: sinch('rejected',
    'The attached file is bigger than this channel allows.',
    'Compress or resize the file (WhatsApp images, for example, must stay under 5 MB) and send again.'),
  CHANNEL_BAD_CONFIGURATION: sinch('rejected',
    'The channel refused the message because the sender is set up wrongly in Sinch, for example with wrong or outdated channel credentials.',
    'Ask your Sinch contact (CSM) to check the WhatsApp or RCS sender set-up of the Sinch app this integration uses.'),
  CHANNEL_CONFIGURATION_MISSING: sinch('rejected',
    'The Sinch app this integration uses has no sender set up for this channel.',
    'Ask your Sinch contact to add the WhatsApp or RCS channel to the app, or send through an integration that has it.'),
  NO_PERMISSION: sinch('rejected',
    'Your sender is not allowed to do what this message asked of the channel.',
    'Ask your Sinch contact to check the permissions of your Sinch app and sender.'),
  UNSUPPORTED_OPERATION: sinch('rejected',
    'The channel does not support what the message asked it to do, for example a kind of message it cannot display.',
    'Use a message type the channel supports, or send this content on another channel.'),
  INACTIVE_CREDENTIAL: sinch('rejected',
    `The sender's credentials for this channel appear to be no longer active. ${unofficial}`,
    'Ask your Sinch contact to check that your WhatsApp or RCS sender is still active.'),
  RECIPIENT_INVALID_CHANNEL_IDENTITY: sinch('rejected',
    'The recipient\'s phone number or ID is not in a form the channel accepts, so no delivery was attempted.',
    'Check the customer\'s phone number (international format, with the country code) and correct it in their profile.'),
  MESSAGE_SPLIT_REQUIRED: sinch('rejected',
    `The message appears to be too long for the channel to send in one piece. ${unofficial}`,
    'Shorten the message or split it into several messages, then send again.'),
  UNKNOWN_APP: sinch('rejected',
    'The Sinch app this integration uses was deleted while the message was being processed.',
    'Ask your Sinch contact for the correct App ID and update it in the integration settings.'),

  // Sinch: delivery was attempted or could not complete (every other code is `failed`).
  UNKNOWN: sinch('failed',
    'The message was not delivered, and Sinch gave no more specific reason.',
    'Try again later. If it keeps happening for the same customer, contact support with the message ID.'),
  INTERNAL_ERROR: sinch('failed',
    'Sinch had a technical problem on its side while handling this message.',
    'Send the message again. If it keeps happening, contact support with the message ID so it can be raised with Sinch.'),
  RATE_LIMITED: sinch('failed',
    'The message was not sent because more messages were being sent at once than your account or channel allows.',
    'Spread the campaign over a longer period or send to fewer customers at a time, then resend the failed messages.'),
  RECIPIENT_NOT_REACHABLE: sinch('failed',
    'The customer cannot be reached on this channel, for example because the number is not on WhatsApp or the phone does not support RCS.',
    'Reach this customer on another channel such as SMS or email, or set up a fallback channel.'),
  CHANNEL_FAILURE: sinch('failed',
    'The channel (WhatsApp or the RCS network) did not take the message, even after Sinch retried it.',
    'Try again later. If many messages fail this way, the channel may be having an outage; contact support.'),
  MEDIA_NOT_REACHABLE: sinch('failed',
    'The attached file could not be downloaded from its link.',
    'Make sure the file\'s link is public, uses HTTPS and opens without a login, then send again.'),
  NO_CHANNELS_LEFT: sinch('failed',
    'Every channel set up for this message was tried and none of them could deliver it.',
    'Look at the earlier steps on the message timeline to see why each channel failed, and fix the first problem shown there.'),
  DELIVERY_TIMED_OUT: sinch('failed',
    'The channel gave up delivering the message after its own time limit, for example because the phone stayed switched off.',
    'Nothing needs fixing in the message. Try again later or reach the customer on another channel.'),
  CONTACT_NOT_FOUND: sinch('failed',
    'Sinch has no contact with the ID the message was addressed to.',
    'Send to the customer\'s phone number instead. If this keeps happening, contact support with the message ID.'),
  NO_CHANNEL_IDENTITY_FOR_CONTACT: sinch('failed',
    'Sinch has no phone number or channel ID for this customer on any of the channels it was asked to use.',
    'Make sure the customer has a valid phone number for the chosen channel, then send again.'),
  NO_PROFILE_AVAILABLE: sinch('failed',
    'The channel has no profile details (such as a name or picture) for this customer.',
    'Nothing to do: this only affects looking up the customer\'s profile on the channel.'),
  MESSAGE_EXPIRED: sinch('failed',
    `The message appears to have been dropped because it could not be delivered before its validity period ran out. ${unofficial}`,
    'Send it again if it is still relevant.'),
  DELIVERY_REPORT_TIME_OUT: sinch('failed',
    'No delivery confirmation came from the channel within the set waiting time, so Sinch stopped waiting for it and moved on to the next channel if there was one.',
    'Check the message timeline for a fallback channel. Without one, the message may still have arrived, but it cannot be confirmed.'),

  // Ours: the message never reached Sinch (status `enqueued_failed`).
  INVALID_CREDENTIALS: ours('rejected',
    'Sinch did not accept the integration\'s access key and secret, so the message was not sent.',
    'Check the Access Key and Access Secret in the integration settings. If the secret was lost, create a new access key in Sinch.'),
  NO_ACCESS: ours('rejected',
    'The integration\'s access key is valid but may not use this Sinch project or app, for example because of a billing block, so the message was not sent.',
    'Check the Project ID and App ID in the integration settings, and ask your Sinch contact whether the key has access and the account is in good standing.'),
  APP_NOT_FOUND: ours('rejected',
    'Sinch could not find the app set in the integration, so the message was not sent. This also happens when the endpoint region (EU or US) is not the one the app was created in.',
    'Check the App ID and the endpoint region in the integration settings.'),
  INVALID_REQUEST: ours('rejected',
    'Sinch refused the message as invalid before queuing it, so it was never sent.',
    'Check the message content and the recipient. The message timeline shows Sinch\'s own error text.'),
  // Sinch's own status for an HTTP 400 (google.rpc style, doc §2.5): the request failed its first, pre-queue check.
  INVALID_ARGUMENT: ours('rejected',
    'Sinch answered HTTP 400 INVALID_ARGUMENT: the request failed Sinch\'s first check (a field missing, too long or malformed, an unknown recipient form, a sender not set up on the app), so the message was dropped before queuing and never sent.',
    'Read Sinch\'s own error text in the message timeline: it usually names the field. Correct the content, the recipient or the integration\'s senders, then send again.'),
  SINCH_UNAVAILABLE: ours('failed',
    'Sinch could not be reached, or kept answering with a temporary error, until all retries were used up, so the message was not sent.',
    'Send the message again later. If many messages fail this way, check Sinch\'s service status or contact support.'),
  CONSENT_REVOKED: ours('rejected',
    'The customer has opted out of these messages, so the message was not sent.',
    'No action is needed: the opt-out is respected. The customer must opt in again before they can be messaged.'),
  OUTSIDE_WHATSAPP_WINDOW: ours('rejected',
    'The customer has not written to you on WhatsApp in the last 24 hours, and outside that window WhatsApp only allows approved templates, so this free-form message was not sent.',
    'Send an approved WhatsApp template instead, or wait until the customer messages you.'),
  INTEGRATION_DELETED: ours('rejected',
    'The integration this message was to be sent through was deleted before the message went out.',
    'Choose another integration, or set a new default provider for the channel, then send again.'),
  NO_SENDER: ours('rejected',
    'The integration has no sender (WhatsApp number or RCS agent) set up for this channel, so there was nothing to send from.',
    'Add the sender for this channel in the integration settings, or ask your Sinch contact for it, then send again.'),
  MISSING_ATTRIBUTE: ours('rejected',
    'The campaign\'s content uses a customer attribute this customer does not have, so it could not be personalised and was not sent.',
    'Fill the attribute in (import or the customers API), give it a default in the template ({{ first_name | default: "there" }}), or let the campaign render missing attributes empty.'),
  CONTENT_INVALID: ours('rejected',
    'Personalised for this customer, the content broke a rule of the channel (for example a text over the length limit) or could not be rendered, so it was not sent.',
    'Preview the campaign for this customer, then shorten or fix the template.'),
  FREQUENCY_CAPPED: ours('rejected',
    'The customer already got as many campaign messages as the project\'s frequency cap allows in this period, so this one was not sent.',
    'No action is needed: the cap protects customers from too many messages. Raise the cap in the project settings if it is too low.'),
  CAMPAIGN_CANCELLED: ours('rejected',
    'The campaign was cancelled before this message was handed to Sinch, so it was not sent.',
    'No action is needed. Create a new campaign to reach these customers.'),
} satisfies Record<ReasonCode, ReasonCodeEntry>);

export type SubCodeEntry = {
  readonly description: string;
  /** Added to the code's description when this sub-code is present; null when it adds nothing. */
  readonly refinement: string | null;
  /** Replaces the code's action when present: the sub-code says more precisely what to fix. */
  readonly action: string | null;
};

export const reasonSubCodeCatalogue: Readonly<Record<ReasonSubCode, SubCodeEntry>> = Object.freeze({
  UNSPECIFIED_SUB_CODE: {
    description: 'No further detail was given.',
    refinement: null,
    action: null,
  },
  ATTACHMENT_REJECTED: {
    description: 'The channel refused the attached file under its policies.',
    refinement: 'The channel refused the attached file under its policies.',
    action: 'Replace or remove the attachment and send again.',
  },
  MEDIA_TYPE_UNDETERMINED: {
    description: 'The type of the attached file could not be worked out from its link.',
    refinement: 'The type of the attached file could not be worked out from its link.',
    action: 'Make sure the file\'s link ends in its extension (such as .jpg or .pdf) and that the server reports the right content type.',
  },
  INACTIVE_SENDER: {
    description: 'The sender\'s channel credentials have been deactivated.',
    refinement: 'The sender\'s channel credentials have been deactivated.',
    action: 'Ask your Sinch contact to reactivate the WhatsApp or RCS sender.',
  },
} satisfies Record<ReasonSubCode, SubCodeEntry>);

export function isReasonCode(code: string): code is ReasonCode {
  return Object.hasOwn(reasonCodeCatalogue, code);
}

function isReasonSubCode(subCode: string): subCode is ReasonSubCode {
  return Object.hasOwn(reasonSubCodeCatalogue, subCode);
}

function explainCode(code: string): ErrorExplanation {
  if (isReasonCode(code)) {
    const { description, action } = reasonCodeCatalogue[code];
    return { description, action };
  }
  if (code.trim() === '') {
    return {
      description: 'The message was not sent or not delivered, and no error code was given.',
      action: 'Check the message timeline for details. If it keeps happening, contact support with the message ID.',
    };
  }
  const http = /^HTTP_(4\d\d)$/.exec(code);
  if (http !== null) {
    return {
      description: `Sinch answered HTTP ${http[1]} and refused the request, so the message was not sent. Sinch documents 400 (invalid request), 401 (credentials), 403 (no access or a billing block), 404 (unknown app, or the app is in another region) and 429 (rate limit); other 4xx answers are not expected.`,
      action: 'Read Sinch\'s error text in the message timeline. Check the integration (Project ID, App ID, region, access key) and the message, then send again; if it keeps happening, contact Sinch support quoting the text.',
    };
  }
  return {
    description: `The message was not sent or not delivered, with the error code "${code}", which we have no explanation for yet.`,
    action: 'Check the message timeline for the provider\'s own description of the error. If it keeps happening, contact support and quote the code.',
  };
}

/**
 * A plain-language explanation of an error code (Sinch's `reason.code` or one of ours) and what to do about it.
 * Unknown codes get an honest generic explanation that names the code. A known sub-code refines the description
 * and gives a more precise action; an unknown one is named; `UNSPECIFIED_SUB_CODE` (the default) adds nothing.
 */
export function explainError(code: string, subCode?: string): ErrorExplanation {
  const base = explainCode(code);
  if (subCode === undefined || subCode.trim() === '') return base;
  if (!isReasonSubCode(subCode)) {
    return { description: `${base.description} Sinch added the detail code "${subCode}".`, action: base.action };
  }
  const sub = reasonSubCodeCatalogue[subCode];
  return {
    description: sub.refinement === null ? base.description : `${base.description} ${sub.refinement}`,
    action: sub.action ?? base.action,
  };
}
