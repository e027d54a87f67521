import { Box, Group, Paper, ScrollArea, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { usePersonalise, type Personalise, type Sample } from '../liquid.ts';
import type { CardDraft, ChipDraft } from '../rcs-content.ts';

/** What the phone shows: a text bubble, one rich card, or a carousel of cards with suggestions below it. */
export type PreviewContent =
  | { kind: 'text'; text: string }
  | { kind: 'card'; card: CardDraft }
  | { kind: 'carousel'; cards: CardDraft[]; chips: ChipDraft[] };

/**
 * A WhatsApp-like or RCS-like phone showing the message as a sample customer would read it. The exact rendering is
 * the API's (POST …/campaigns/{id}/preview); this is the live sketch while typing, personalised with the same Liquid
 * and the same variables (the customer's attributes by name, `customer.id`, `customer.phone`, `customer.tags`).
 */
export function PhoneFrame({ channel, content, sample }: { channel: 'whatsapp' | 'rcs'; content: PreviewContent; sample?: Sample | undefined }) {
  const fill = usePersonalise(sample);
  const whatsapp = channel === 'whatsapp';
  return (
    <Paper withBorder radius={28} p="sm" w={280} mx="auto" bg={whatsapp ? '#efeae2' : '#f1f3f4'} aria-label={`${whatsapp ? 'WhatsApp' : 'RCS'} preview`} role="img">
      <Text size="xs" fw={700} ta="center" mb="xs">{whatsapp ? 'WhatsApp' : 'Messages (RCS)'}</Text>
      <Box mih={320}>
        {content.kind === 'text' && (
          <Paper p="xs" radius="md" maw="85%" bg={whatsapp ? 'white' : '#e8eaed'} shadow="xs">
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="preview-text">{fill(content.text)}</Text>
          </Paper>
        )}
        {content.kind === 'card' && <RichCard card={content.card} fill={fill} width="85%" />}
        {content.kind === 'carousel' && (
          <Stack gap="xs">
            <ScrollArea type="auto" offsetScrollbars scrollbarSize={6} data-testid="preview-carousel">
              <Group wrap="nowrap" align="stretch" gap="xs">
                {content.cards.map((card, i) => <RichCard key={i} card={card} fill={fill} width={190} />)}
              </Group>
            </ScrollArea>
            <Chips chips={content.chips} fill={fill} />
          </Stack>
        )}
      </Box>
    </Paper>
  );
}

function RichCard({ card, fill, width }: { card: CardDraft; fill: Personalise; width: number | string }) {
  const title = fill(card.title);
  const description = fill(card.description);
  return (
    <Paper radius="lg" w={width} miw={width} bg="white" shadow="xs" style={{ overflow: 'hidden', flexShrink: 0 }} data-testid="preview-card">
      {card.media.trim() !== '' && <Media url={card.media.trim()} />}
      <Stack gap={4} p="xs">
        {title !== '' && <Text size="sm" fw={700} data-testid="preview-card-title" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{title}</Text>}
        {description !== '' && <Text size="sm" data-testid="preview-card-description" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{description}</Text>}
        <Chips chips={card.chips} fill={fill} />
      </Stack>
    </Paper>
  );
}

/** The card's image; where it cannot be shown (a bad URL, not https, or it does not load), a box with the URL's host. */
function Media({ url }: { url: string }) {
  const [failed, setFailed] = useState<string | undefined>();
  const host = URL.parse(url)?.host;
  if (host === undefined || host === '' || failed === url) {
    return (
      <Box h={110} bg="gray.2" style={{ display: 'flex', alignItems: 'center', justifyContent: 'center' }} data-testid="preview-media">
        <Text size="xs" c="dimmed" ta="center" px="xs" style={{ overflowWrap: 'anywhere' }}>{host !== undefined && host !== '' ? `Image from ${host}` : 'No image: the media URL is not valid'}</Text>
      </Box>
    );
  }
  return <img src={url} alt="" height={110} style={{ width: '100%', objectFit: 'cover', display: 'block' }} onError={() => setFailed(url)} data-testid="preview-media" />;
}

function Chips({ chips, fill }: { chips: ChipDraft[]; fill: Personalise }) {
  if (chips.length === 0) return null;
  return (
    <Group gap={6} mt={4}>
      {chips.map((chip, j) => (
        <Box key={j} component="span" data-testid="preview-chip" data-chip-kind={chip.kind}
          style={{ border: '1px solid var(--mantine-color-blue-4)', color: 'var(--mantine-color-blue-8)', borderRadius: 999, padding: '3px 12px', fontSize: 13, lineHeight: 1.4, background: 'white', maxWidth: '100%', overflowWrap: 'anywhere' }}>
          {chip.kind === 'url' ? '↗ ' : ''}{fill(chip.label) || ' '}
        </Box>
      ))}
    </Group>
  );
}
