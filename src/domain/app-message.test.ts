import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Compile } from 'typebox/compile';
import { AppMessageSchema, channels, type AppMessage, type Channel, type ContentKind } from './app-message.ts';
import { channelSupport, checkContent, whatsappParameterKey } from './app-message-rules.ts';

const schema = Compile(AppMessageSchema);
const x = (n: number) => 'x'.repeat(n);
const img = 'https://cdn.example.com/a.jpg';

/** A valid example of every kind, written to pass on both channels (templates carry both forms). */
const examples: Record<ContentKind, AppMessage> = {
  text: { text_message: { text: 'Your order has shipped' } },
  media: { media_message: { url: img, thumbnail_url: 'https://cdn.example.com/t.jpg', filename_override: 'receipt.pdf' } },
  template: {
    template_message: {
      channel_template: {
        WHATSAPP: {
          template_id: 'order_update', language_code: 'en_US',
          parameters: { 'body[1]text': 'Ada', 'header[1]image.link': img, 'button[0]quick_reply[1]payload': '', 'carousel[0]body[1]text': 'card one' },
        },
      },
      omni_template: { template_id: '01HTEMPLATE', version: 'latest', language_code: 'en-US', parameters: { name: 'Ada' } },
    },
  },
  card: {
    card_message: {
      title: 'Spring sale', description: 'Everything 20% off', media_message: { url: img }, height: 'MEDIUM',
      choices: [{ text_message: { text: 'Show me' } }, { url_message: { title: 'Open shop', url: 'https://shop.example.com' } }],
      message_properties: { whatsapp_header: 'Sale' },
    },
  },
  carousel: {
    carousel_message: {
      cards: [{ title: 'Red shirt', media_message: { url: img }, choices: [{ text_message: { text: 'Buy red' } }] }, { title: 'Blue shirt', description: 'Cotton' }],
      choices: [{ text_message: { text: 'More' } }],
    },
  },
  choice: {
    choice_message: {
      text_message: { text: 'Confirm your booking for tomorrow at 10?' },
      choices: [{ text_message: { text: 'Confirm' }, postback_data: 'confirm' }, { text_message: { text: 'Cancel' } }],
      message_properties: { whatsapp_footer: 'Reply any time' },
    },
  },
  list: {
    list_message: {
      title: 'Choose a flavour', description: 'Best in town',
      sections: [
        { title: 'Fruit', items: [{ choice: { title: 'Strawberry', description: 'Fresh', postback_data: 'straw' } }, { choice: { title: 'Mango' } }] },
        { title: 'Other', items: [{ choice: { title: 'Chocolate', media: { url: img } } }] },
      ],
      message_properties: { menu: 'Flavours', whatsapp_header: 'Ice cream' },
    },
  },
  location: { location_message: { coordinates: { latitude: 55.610479, longitude: 13.002873 }, title: 'Your ride is here', label: 'Stortorget' } },
  contact_info: {
    contact_info_message: {
      name: { full_name: 'Ada Lovelace', first_name: 'Ada', last_name: 'Lovelace' },
      phone_numbers: [{ phone_number: '+46732000001', type: 'WORK' }],
      email_addresses: [{ email_address: 'ada@example.com' }], urls: [{ url: 'https://example.com' }],
      organization: { company: 'Analytical Engines' }, addresses: [{ city: 'London', country_code: 'GB' }], birthday: '1815-12-10',
    },
  },
};

for (const [kind, message] of Object.entries(examples) as [ContentKind, AppMessage][]) {
  test(`schema accepts the ${kind} example`, () => assert.equal(schema.Check(message), true));
  for (const channel of channels) {
    test(`${kind} on ${channel}: ${channelSupport[channel][kind]}`, () => {
      const result = checkContent(channel, message);
      if (channelSupport[channel][kind] === 'refused') {
        assert.deepEqual(result.ok, false);
        assert.ok(!result.ok);
        assert.equal(result.field, `message.${kind}_message`);
        assert.match(result.message, /is not supported on RCS: list messages are WhatsApp-only/);
      } else {
        assert.deepEqual(result, { ok: true, kind });
      }
    });
  }
}

/** Further messages that must pass (edge cases at the limits, and transcoded forms). */
const alsoValid: [string, Channel, AppMessage][] = [
  ['WhatsApp text of 4096 characters', 'whatsapp', { text_message: { text: x(4096) } }],
  ['RCS text of 3072 characters', 'rcs', { text_message: { text: x(3072) } }],
  ['WhatsApp template with a bare language code (en)', 'whatsapp', { template_message: { channel_template: { WHATSAPP: { template_id: 'hello_world', language_code: 'en' } } } }],
  ['WhatsApp: 5 long choices are sent as text, not buttons', 'whatsapp', {
    choice_message: { text_message: { text: 'Pick one' }, choices: [1, 2, 3, 4, 5].map((i) => ({ text_message: { text: `${x(30)} ${i}` } })) },
  }],
  ['WhatsApp: a URL and a call choice are sent as text', 'whatsapp', {
    choice_message: { text_message: { text: 'Reach us' }, choices: [{ url_message: { title: x(30), url: 'http://example.com' } }, { call_message: { title: 'Call', phone_number: '+46732000001' } }] },
  }],
  ['RCS: every suggestion kind', 'rcs', {
    choice_message: {
      text_message: { text: 'What next?' },
      choices: [
        { text_message: { text: x(25) } },
        { url_message: { title: 'Website', url: 'https://example.com/a?b=c' } },
        { call_message: { title: 'Call us', phone_number: '+46732000001' } },
        { location_message: { title: 'Our shop', coordinates: { latitude: -33.9, longitude: 151.2 } } },
        { calendar_message: { title: 'Save the date', event_start: '2026-05-01T10:00:00Z', event_end: '2026-05-01T13:00:00+02:00', event_title: 'Launch', fallback_url: 'https://example.com/cal' } },
        { share_location_message: { title: 'Share location', fallback_url: 'https://example.com/where' } },
      ],
    },
  }],
  ['a carousel of one card', 'rcs', { carousel_message: { cards: [{ title: 'Only card' }] } }],
  ['a carousel of 10 cards with 3 outer choices', 'rcs', {
    carousel_message: { cards: Array.from({ length: 10 }, (_, i) => ({ title: `Card ${i}` })), choices: ['a', 'b', 'c'].map((t) => ({ text_message: { text: t } })) },
  }],
  ['WhatsApp product list with a catalog', 'whatsapp', {
    list_message: { title: 'Our picks', sections: [{ items: [{ product: { id: 'sku-1', marketplace: 'FACEBOOK' } }, { product: { id: 'sku-2', marketplace: 'FACEBOOK' } }] }], message_properties: { catalog_id: 'cat-1' } },
  }],
  ['WhatsApp list of 10 rows in one untitled section', 'whatsapp', {
    list_message: { title: 'Pick', sections: [{ items: Array.from({ length: 10 }, (_, i) => ({ choice: { title: `Row ${i}` } })) }] },
  }],
  ['location at the poles and the date line', 'rcs', { location_message: { coordinates: { latitude: -90, longitude: 180 }, title: 'Edge' } }],
  ['agent modifier', 'whatsapp', { text_message: { text: 'Hi' }, agent: { display_name: 'Sam', type: 'HUMAN', picture_url: 'https://example.com/sam.png' } }],
  ['WhatsApp omni template (Templates v2, may carry a WHATSAPP override)', 'whatsapp', { template_message: { omni_template: { template_id: 'spring_sale', version: 'latest', language_code: 'en-US', parameters: { name: 'Ada' } } } }],
];

for (const [name, channel, message] of alsoValid) {
  test(`passes: ${name}`, () => {
    assert.equal(schema.Check(message), true, 'schema');
    assert.equal(checkContent(channel, message).ok, true, JSON.stringify(checkContent(channel, message)));
  });
}

const wa = (ref: object): AppMessage => ({ template_message: { channel_template: { WHATSAPP: { template_id: 'order_update', language_code: 'en_US', ...ref } } } });
const choices = (...list: object[]): AppMessage => ({ choice_message: { text_message: { text: 'Pick' }, choices: list } });
const card = (c: object): AppMessage => ({ card_message: c });
const list = (sections: object[], props?: object): AppMessage => ({ list_message: { title: 'Pick', sections, ...(props && { message_properties: props }) } } as AppMessage);
const rows = (n: number, title = 'Row') => Array.from({ length: n }, (_, i) => ({ choice: { title: `${title} ${i}` } }));
const P = 'message.template_message.channel_template.WHATSAPP';
const CM = 'message.choice_message';

/** Each rule with a failing case: channel, message, the exact field, and what the message must say. */
const failing: [string, Channel, AppMessage, string, RegExp][] = [
  ['no kind', 'rcs', {}, 'message', /^message must contain exactly one of text_message, media_message, .*contact_info_message \(found none\)$/],
  ['two kinds', 'whatsapp', { text_message: { text: 'a' }, media_message: { url: img } }, 'message', /exactly one of .* \(found text_message, media_message\)/],
  ['only the agent', 'whatsapp', { agent: { display_name: 'Sam' } }, 'message', /found none/],
  ['RCS text over 3072', 'rcs', { text_message: { text: x(3073) } }, 'message.text_message.text', /^message\.text_message\.text must be at most 3072 characters on RCS \(found 3073\)$/],
  ['WhatsApp text over 4096', 'whatsapp', { text_message: { text: x(4097) } }, 'message.text_message.text', /at most 4096 characters on WhatsApp/],
  ['emoji count as one character each', 'rcs', { text_message: { text: '😀'.repeat(3073) } }, 'message.text_message.text', /found 3073/],
  ['blank text', 'whatsapp', { text_message: { text: '   ' } }, 'message.text_message.text', /must not be blank/],
  ['relative media URL', 'rcs', { media_message: { url: '/a.jpg' } }, 'message.media_message.url', /must be an absolute http\(s\) URL/],
  ['ftp media URL', 'whatsapp', { media_message: { url: 'ftp://example.com/a.jpg' } }, 'message.media_message.url', /absolute http\(s\) URL/],
  ['bad thumbnail URL', 'rcs', { media_message: { url: img, thumbnail_url: 'thumb.jpg' } }, 'message.media_message.thumbnail_url', /absolute http\(s\) URL/],
  ['WhatsApp template given as nothing', 'whatsapp', { template_message: {} }, `${P}`, /required on WhatsApp unless omni_template names an omni-channel template with a WHATSAPP override/],
  ['WhatsApp omni template with blank version', 'whatsapp', { template_message: { omni_template: { template_id: 't', version: ' ' } } }, 'message.template_message.omni_template.version', /must not be blank/],
  ['WhatsApp template id not a Meta name', 'whatsapp', wa({ template_id: 'Order Update' }), `${P}.template_id`, /name of the Meta-approved template: lowercase letters, digits and underscores/],
  ['WhatsApp template without language', 'whatsapp', wa({ language_code: undefined }), `${P}.language_code`, /required for WhatsApp templates, in underscore form such as en_US/],
  ['WhatsApp template with en-US', 'whatsapp', wa({ language_code: 'en-US' }), `${P}.language_code`, /underscore form .*: use en_US, not en-US$/],
  ['WhatsApp template with zh-hant-tw', 'whatsapp', wa({ language_code: 'zh-hant-tw' }), `${P}.language_code`, /use zh_Hant_TW, not zh-hant-tw/],
  ['WhatsApp template with a made-up language', 'whatsapp', wa({ language_code: 'english' }), `${P}.language_code`, /underscore form such as en_US or pt_BR$/],
  ['parameter index counted from 0', 'whatsapp', wa({ parameters: { 'body[0]text': 'a' } }), `${P}.parameters["body[0]text"]`, /<component>\[<index>\]<subtype>\[<paramIndex>\]<field>.*counts from 1/],
  ['positional parameter key', 'whatsapp', wa({ parameters: { 1: 'a' } }), `${P}.parameters["1"]`, /key WhatsApp does not know/],
  ['button parameter without index', 'whatsapp', wa({ parameters: { 'button[]url[1]text': 'a' } }), `${P}.parameters["button[]url[1]text"]`, /key WhatsApp does not know/],
  ['empty body variable', 'whatsapp', wa({ parameters: { 'body[1]text': '' } }), `${P}.parameters["body[1]text"]`, /must not be empty/],
  ['body variable with a new line', 'whatsapp', wa({ parameters: { 'body[2]text': 'a\nb' } }), `${P}.parameters["body[2]text"]`, /new lines, tabs or more than 4 spaces/],
  ['body variable with 5 spaces', 'whatsapp', wa({ parameters: { 'body[1]text': 'a     b' } }), `${P}.parameters["body[1]text"]`, /more than 4 spaces in a row/],
  ['header image link not a URL', 'whatsapp', wa({ parameters: { 'header[1]image.link': 'cat.jpg' } }), `${P}.parameters["header[1]image.link"]`, /absolute http\(s\) URL/],
  ['RCS template without omni', 'rcs', wa({}), 'message.template_message.omni_template', /required on RCS: RCS templates are Sinch omni-channel templates/],
  ['RCS omni template with blank version', 'rcs', { template_message: { omni_template: { template_id: 't', version: ' ' } } }, 'message.template_message.omni_template.version', /must not be blank/],
  ['choice message without text', 'rcs', { choice_message: { choices: [{ text_message: { text: 'a' } }] } }, `${CM}.text_message`, /required: RCS suggestions are attached to a message text/],
  ['choice message without choices', 'whatsapp', { choice_message: { text_message: { text: 'a' }, choices: [] } }, `${CM}.choices`, /at least one choice/],
  ['11 choices', 'rcs', choices(...rows(11).map((r) => ({ text_message: { text: r.choice.title } }))), `${CM}.choices`, /at most 10 choices on RCS \(found 11\)/],
  ['11 choices on WhatsApp', 'whatsapp', choices(...rows(11).map((r) => ({ text_message: { text: r.choice.title } }))), `${CM}.choices`, /at most 10 choices on WhatsApp/],
  ['a choice of two kinds', 'rcs', choices({ text_message: { text: 'a' } }, { text_message: { text: 'b' }, url_message: { title: 'c', url: img } }), `${CM}.choices[1]`, /exactly one of text_message, url_message, call_message, location_message, calendar_message, share_location_message \(found text_message, url_message\)/],
  ['a choice of no kind', 'whatsapp', choices({ postback_data: 'x' }), `${CM}.choices[0]`, /\(found none\)/],
  ['WhatsApp reply button over 20', 'whatsapp', choices({ text_message: { text: 'Yes' } }, { text_message: { text: x(21) } }), `${CM}.choices[1].text_message.text`, /at most 20 characters on WhatsApp, where up to 3 text choices are sent as reply buttons \(found 21\)/],
  ['WhatsApp duplicate reply buttons', 'whatsapp', choices({ text_message: { text: 'Yes' } }, { text_message: { text: 'Yes' } }), `${CM}.choices[1].text_message.text`, /reply buttons must be distinct/],
  ['WhatsApp button postback over 229', 'whatsapp', choices({ text_message: { text: 'Yes' }, postback_data: x(230) }), `${CM}.choices[0].postback_data`, /at most 229 characters on WhatsApp/],
  ['WhatsApp button body over 1024', 'whatsapp', { choice_message: { text_message: { text: x(1025) }, choices: [{ text_message: { text: 'Ok' } }] } }, `${CM}.text_message.text`, /at most 1024 characters on WhatsApp when the choices are sent as buttons/],
  ['WhatsApp URL button title over 20', 'whatsapp', choices({ url_message: { title: x(21), url: img } }), `${CM}.choices[0].url_message.title`, /single URL choice is sent as a URL button/],
  ['RCS suggestion over 25', 'rcs', choices({ call_message: { title: x(26), phone_number: '+46732000001' } }), `${CM}.choices[0].call_message.title`, /at most 25 characters on RCS, where choices are suggestions/],
  ['blank choice text', 'rcs', choices({ text_message: { text: ' ' } }), `${CM}.choices[0].text_message.text`, /must not be blank/],
  ['call number not E.164', 'rcs', choices({ call_message: { title: 'Call', phone_number: '0732000001' } }), `${CM}.choices[0].call_message.phone_number`, /E\.164 number with a leading \+/],
  ['URL choice not a URL', 'whatsapp', choices({ url_message: { title: 'Go', url: 'example.com' } }), `${CM}.choices[0].url_message.url`, /absolute http\(s\) URL/],
  ['location choice off the map', 'rcs', choices({ location_message: { title: 'Here', coordinates: { latitude: 10, longitude: 200 } } }), `${CM}.choices[0].location_message.coordinates.longitude`, /between -180 and 180 \(found 200\)/],
  ['calendar event with a date only', 'rcs', choices({ calendar_message: { title: 'Save', event_start: '2026-05-01', event_end: '2026-05-02T00:00:00Z', event_title: 'E', fallback_url: img } }), `${CM}.choices[0].calendar_message.event_start`, /RFC 3339 timestamp/],
  ['calendar event ending before it starts', 'rcs', choices({ calendar_message: { title: 'Save', event_start: '2026-05-01T10:00:00Z', event_end: '2026-05-01T09:00:00Z', event_title: 'E', fallback_url: img } }), `${CM}.choices[0].calendar_message.event_end`, /must be after event_start/],
  ['share location with a bad fallback', 'rcs', choices({ share_location_message: { title: 'Share', fallback_url: 'nope' } }), `${CM}.choices[0].share_location_message.fallback_url`, /absolute http\(s\) URL/],
  ['empty card', 'whatsapp', card({ title: ' ', choices: [] }), 'message.card_message', /must have a title, a description or a media_message/],
  ['card media URL', 'rcs', card({ media_message: { url: 'a.jpg' } }), 'message.card_message.media_message.url', /absolute http\(s\) URL/],
  ['RCS card title over 200', 'rcs', card({ title: x(201) }), 'message.card_message.title', /at most 200 characters on RCS/],
  ['RCS card description over 2000', 'rcs', card({ description: x(2001) }), 'message.card_message.description', /at most 2000 characters on RCS/],
  ['RCS card with 5 choices', 'rcs', card({ title: 'T', choices: rows(5).map((r) => ({ text_message: { text: r.choice.title } })) }), 'message.card_message.choices', /at most 4 choices on RCS, where a rich card carries up to 4 suggestions \(found 5\)/],
  ['WhatsApp card reply button over 20', 'whatsapp', card({ title: 'T', choices: [{ text_message: { text: x(21) } }] }), 'message.card_message.choices[0].text_message.text', /at most 20 characters on WhatsApp/],
  ['carousel of 11 cards', 'rcs', { carousel_message: { cards: Array.from({ length: 11 }, () => ({ title: 'c' })) } }, 'message.carousel_message.cards', /must hold 1 to 10 cards \(found 11\)/],
  ['carousel of no cards', 'whatsapp', { carousel_message: { cards: [] } }, 'message.carousel_message.cards', /must hold 1 to 10 cards \(found 0\)/],
  ['carousel with 4 outer choices', 'rcs', { carousel_message: { cards: [{ title: 'c' }], choices: ['a', 'b', 'c', 'd'].map((t) => ({ text_message: { text: t } })) } }, 'message.carousel_message.choices', /at most 3 choices outside the cards of a carousel \(found 4\)/],
  ['carousel with an empty card', 'rcs', { carousel_message: { cards: [{ title: 'c' }, {}] } }, 'message.carousel_message.cards[1]', /must have a title/],
  ['RCS carousel card with 5 choices', 'rcs', { carousel_message: { cards: [{ title: 'c', choices: rows(5).map((r) => ({ text_message: { text: r.choice.title } })) }] } }, 'message.carousel_message.cards[0].choices', /at most 4 choices on RCS/],
  ['list on RCS', 'rcs', list([{ items: rows(2) }]), 'message.list_message', /not supported on RCS: list messages are WhatsApp-only and Sinch does not transcode them/],
  ['list mixing choices and products', 'whatsapp', list([{ title: 'A', items: rows(1) }, { title: 'B', items: [{ product: { id: 'p', marketplace: 'FACEBOOK' } }] }], { catalog_id: 'c' }), 'message.list_message.sections[1].items[0]', /must be a choice like the first item: all items of a list are of one kind/],
  ['list item with both kinds', 'whatsapp', list([{ items: [{ choice: { title: 'a' }, product: { id: 'p', marketplace: 'FACEBOOK' } }] }]), 'message.list_message.sections[0].items[0]', /exactly one of choice, product/],
  ['product list without catalog', 'whatsapp', list([{ items: [{ product: { id: 'p', marketplace: 'FACEBOOK' } }] }]), 'message.list_message.message_properties.catalog_id', /required for a product list/],
  ['product list of 31', 'whatsapp', list([{ items: Array.from({ length: 31 }, (_, i) => ({ product: { id: `p${i}`, marketplace: 'FACEBOOK' } })) }], { catalog_id: 'c' }), 'message.list_message.sections', /at most 30 products in total on WhatsApp \(found 31\)/],
  ['list of 11 rows', 'whatsapp', list([{ title: 'A', items: rows(6) }, { title: 'B', items: rows(5) }]), 'message.list_message.sections', /at most 10 rows in total on WhatsApp \(found 11\)/],
  ['list of 11 sections', 'whatsapp', list(Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, items: rows(1) }))), 'message.list_message.sections', /must hold 1 to 10 sections on WhatsApp \(found 11\)/],
  ['untitled second section', 'whatsapp', list([{ title: 'A', items: rows(1) }, { items: rows(1) }]), 'message.list_message.sections[1].title', /required on WhatsApp when a list has more than one section/],
  ['section title over 24', 'whatsapp', list([{ title: x(25), items: rows(1) }]), 'message.list_message.sections[0].title', /at most 24 characters on WhatsApp/],
  ['section without items', 'whatsapp', list([{ items: [] }]), 'message.list_message.sections[0].items', /at least one item/],
  ['row title over 24', 'whatsapp', list([{ items: [{ choice: { title: x(25) } }] }]), 'message.list_message.sections[0].items[0].choice.title', /at most 24 characters on WhatsApp \(found 25\)/],
  ['row description over 72', 'whatsapp', list([{ items: [{ choice: { title: 'a', description: x(73) } }] }]), 'message.list_message.sections[0].items[0].choice.description', /at most 72 characters on WhatsApp/],
  ['list media URL', 'whatsapp', { list_message: { title: 'Pick', media: { url: 'x' }, sections: [{ items: rows(1) }] } }, 'message.list_message.media.url', /absolute http\(s\) URL/],
  ['latitude over 90', 'whatsapp', { location_message: { coordinates: { latitude: 91, longitude: 0 }, title: 'T' } }, 'message.location_message.coordinates.latitude', /must be between -90 and 90 \(found 91\)/],
  ['longitude under -180', 'rcs', { location_message: { coordinates: { latitude: 0, longitude: -180.5 }, title: 'T' } }, 'message.location_message.coordinates.longitude', /between -180 and 180/],
  ['blank location title', 'rcs', { location_message: { coordinates: { latitude: 0, longitude: 0 }, title: '' } }, 'message.location_message.title', /must not be blank/],
  ['contact without full name', 'whatsapp', { contact_info_message: { name: { full_name: ' ' }, phone_numbers: [{ phone_number: '+1' }] } }, 'message.contact_info_message.name.full_name', /must not be blank/],
  ['contact without phone', 'rcs', { contact_info_message: { name: { full_name: 'Ada' }, phone_numbers: [] } }, 'message.contact_info_message.phone_numbers', /at least one phone number/],
  ['contact with a blank phone', 'whatsapp', { contact_info_message: { name: { full_name: 'Ada' }, phone_numbers: [{ phone_number: '+1' }, { phone_number: ' ' }] } }, 'message.contact_info_message.phone_numbers[1].phone_number', /must not be blank/],
  ['contact birthday not a date', 'whatsapp', { contact_info_message: { name: { full_name: 'Ada' }, phone_numbers: [{ phone_number: '+1' }], birthday: '2023-02-30' } }, 'message.contact_info_message.birthday', /real date in YYYY-MM-DD form/],
  ['contact URL', 'whatsapp', { contact_info_message: { name: { full_name: 'Ada' }, phone_numbers: [{ phone_number: '+1' }], urls: [{ url: 'example' }] } }, 'message.contact_info_message.urls[0].url', /absolute http\(s\) URL/],
  ['agent picture URL', 'rcs', { text_message: { text: 'Hi' }, agent: { display_name: 'Sam', picture_url: 'sam.png' } }, 'message.agent.picture_url', /absolute http\(s\) URL/],
];

for (const [name, channel, message, field, pattern] of failing) {
  test(`refuses on ${channel}: ${name}`, () => {
    const result = checkContent(channel, message);
    assert.equal(result.ok, false, JSON.stringify(result));
    assert.ok(!result.ok);
    assert.equal(result.field, field);
    assert.match(result.message, pattern);
    assert.ok(result.message.startsWith(`${field} `), 'the message names the field');
  });
}

test('WhatsApp parameter key grammar: the documented examples are accepted', () => {
  for (const key of ['body[1]text', 'header[1]text', 'header[1]image.link', 'header[1]document.link', 'header[1]document.filename',
    'header[1]location.latitude', 'button[0]quick_reply[1]payload', 'button[0]url[1]text', 'button[0]copy_code[1]coupon_code', 'carousel[0]body[1]text',
    'carousel[2]header[1]image.link', 'carousel[0]button[1]quick_reply[1]payload', 'body[12]text']) {
    assert.match(key, whatsappParameterKey);
  }
  for (const key of ['body[0]text', 'body1text', 'body[1]', 'footer[1]text', 'button[0]url[0]text', 'Body[1]text', 'carousel[0]carousel[0]body[1]text', 'body[1]text ']) {
    assert.doesNotMatch(key, whatsappParameterKey);
  }
});

test('schema rejects unknown keys, over-long strings and oversized arrays', () => {
  const bad: unknown[] = [
    { text_message: { text: 'hi' }, sms_message: { text: 'hi' } },
    { text_message: { text: 'hi', extra: 1 } },
    { text_message: { text: x(4097) } },
    { text_message: { text: '' } },
    { media_message: { url: x(2049) } },
    { choice_message: { text_message: { text: 'a' }, choices: rows(11).map((r) => ({ text_message: { text: r.choice.title } })) } },
    { choice_message: { text_message: { text: 'a' }, choices: [{ text_message: { text: 'a' } }], message_properties: { whatsapp_footer: x(61) } } },
    { carousel_message: { cards: [{ title: 'a' }], choices: ['a', 'b', 'c', 'd'].map((t) => ({ text_message: { text: t } })) } },
    { card_message: { title: 'a', height: 'HUGE' } },
    { template_message: { channel_template: { RCS: { template_id: 't' } } } },
    { template_message: { omni_template: { template_id: 't' } } },
    { list_message: { title: 'a', sections: [{ items: rows(1) }], message_properties: { menu: x(21) } } },
    { contact_info_message: { name: { full_name: 'Ada' } } },
    { contact_info_message: { name: { full_name: 'Ada' }, phone_numbers: [{ phone_number: '+1' }], birthday: '10/12/1815' } },
    { location_message: { coordinates: { latitude: '55' , longitude: 13 }, title: 'T' } },
    { agent: { display_name: 'Sam', type: 'ROBOT' } },
  ];
  for (const message of bad) assert.equal(schema.Check(message), false, JSON.stringify(message).slice(0, 120));
});

test('schema is plain JSON Schema: no anyOf/oneOf, closed objects', () => {
  const json = JSON.stringify(AppMessageSchema);
  assert.doesNotMatch(json, /"(anyOf|oneOf|allOf)"/);
  assert.equal((JSON.parse(json) as { additionalProperties: unknown }).additionalProperties, false);
});
