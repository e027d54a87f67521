import { Button, CloseButton, Fieldset, Group, SegmentedControl, Stack, Text, Textarea, TextInput } from '@mantine/core';
import type { ReactNode } from 'react';
import { emptyCard, length, rcsLimits, type CardDraft, type ChipDraft } from '../rcs-content.ts';

/** The server's message for an API field, when the last save failed on it. */
export type ErrorAt = (field: string) => string | undefined;

/** Characters left against a channel limit; red, and counting the excess, once over. */
export function Counter({ value, max, compact = false }: { value: string; max: number; compact?: boolean }) {
  const n = length(value);
  const over = n > max;
  const words = over ? `${n - max} over the limit of ${max}` : `${max - n} of ${max} left`;
  return (
    <Text span size="xs" c={over ? 'red' : 'dimmed'} fw={over ? 700 : undefined} data-counter data-over={over} title={compact ? words : undefined}>
      {compact ? max - n : words}
    </Text>
  );
}

function Described({ children, value, max }: { children?: ReactNode; value: string; max: number }) {
  return <>{children}{children !== undefined && ' · '}<Counter value={value} max={max} /></>;
}

/** Suggestion chips: reply chips (a label the customer sends back) or URL chips (a label that opens a URL). */
export function ChipsEditor({ chips, onChange, max, path, errorAt }: { chips: ChipDraft[]; onChange: (chips: ChipDraft[]) => void; max: number; path: string; errorAt: ErrorAt }) {
  const set = (j: number, chip: ChipDraft) => onChange(chips.map((c, k) => (k === j ? chip : c)));
  return (
    <Stack gap="xs">
      {chips.map((chip, j) => {
        const p = `${path}[${j}]`;
        const labelField = chip.kind === 'url' ? `${p}.url_message.title` : `${p}.text_message.text`;
        return (
          <Group key={j} align="flex-start" gap="xs" wrap="nowrap">
            <SegmentedControl size="xs" mt={24} aria-label={`Suggestion ${j + 1} kind`} value={chip.kind}
              onChange={(v) => set(j, v === 'url' ? { kind: 'url', label: chip.label, url: chip.kind === 'url' ? chip.url : '' } : { kind: 'reply', label: chip.label })}
              data={[{ value: 'reply', label: 'Reply' }, { value: 'url', label: 'URL' }]} />
            <Stack gap={4} style={{ flex: 1 }}>
              <TextInput label={`Suggestion ${j + 1}`} value={chip.label} onChange={(e) => set(j, { ...chip, label: e.currentTarget.value })}
                rightSection={<Counter value={chip.label} max={rcsLimits.suggestionText} compact />}
                error={errorAt(labelField) ?? errorAt(p) ?? (length(chip.label) > rcsLimits.suggestionText)} />
              {chip.kind === 'url' && (
                <TextInput aria-label={`Suggestion ${j + 1} URL`} placeholder="Opens https://…" value={chip.url}
                  onChange={(e) => set(j, { ...chip, url: e.currentTarget.value })} error={errorAt(`${p}.url_message.url`)} />
              )}
            </Stack>
            <CloseButton mt={28} aria-label={`Remove suggestion ${j + 1}`} onClick={() => onChange(chips.filter((_, k) => k !== j))} />
          </Group>
        );
      })}
      {errorAt(path) !== undefined && <Text size="sm" c="red">{errorAt(path)}</Text>}
      <Group gap="xs">
        <Button size="xs" variant="light" disabled={chips.length >= max} onClick={() => onChange([...chips, { kind: 'reply', label: '' }])}>Add reply chip</Button>
        <Button size="xs" variant="light" disabled={chips.length >= max} onClick={() => onChange([...chips, { kind: 'url', label: '', url: '' }])}>Add URL chip</Button>
        <Text size="xs" c="dimmed">{chips.length} of {max} suggestions</Text>
      </Group>
    </Stack>
  );
}

/** Title, description, media URL and suggestions of one rich card; `path` is its place in the API's content. */
export function CardFields({ card, onChange, path, errorAt }: { card: CardDraft; onChange: (card: CardDraft) => void; path: string; errorAt: ErrorAt }) {
  const titleOver = length(card.title) > rcsLimits.cardTitle;
  const descriptionOver = length(card.description) > rcsLimits.cardDescription;
  return (
    <Stack gap="xs">
      <TextInput label="Title" value={card.title} onChange={(e) => onChange({ ...card, title: e.currentTarget.value })}
        description={<Described value={card.title} max={rcsLimits.cardTitle}>Liquid allowed</Described>}
        error={errorAt(`${path}.title`) ?? errorAt(path) ?? titleOver} />
      <Textarea label="Description" autosize minRows={2} value={card.description} onChange={(e) => onChange({ ...card, description: e.currentTarget.value })}
        description={<Described value={card.description} max={rcsLimits.cardDescription} />}
        error={errorAt(`${path}.description`) ?? descriptionOver} />
      <TextInput label="Media URL" description="Optional: an image, by absolute http(s) URL" placeholder="https://…" value={card.media}
        onChange={(e) => onChange({ ...card, media: e.currentTarget.value })} error={errorAt(`${path}.media_message.url`) ?? errorAt(`${path}.media_message`)} />
      <ChipsEditor chips={card.chips} onChange={(chips) => onChange({ ...card, chips })} max={rcsLimits.cardChoices} path={`${path}.choices`} errorAt={errorAt} />
    </Stack>
  );
}

/** The cards of a carousel side by side in the phone, each with its own suggestions, plus up to 3 below them. */
export function CarouselFields({ cards, chips, onCards, onChips, path, errorAt }: {
  cards: CardDraft[]; chips: ChipDraft[]; onCards: (cards: CardDraft[]) => void; onChips: (chips: ChipDraft[]) => void; path: string; errorAt: ErrorAt;
}) {
  return (
    <Stack gap="sm">
      {cards.map((card, i) => (
        <Fieldset key={i} legend={`Card ${i + 1}`} variant="filled" p="sm">
          <Group justify="flex-end" mt={-8} mb={-8}>
            <Button size="compact-xs" variant="subtle" color="red" disabled={cards.length <= rcsLimits.carouselCardsMin}
              onClick={() => onCards(cards.filter((_, k) => k !== i))} aria-label={`Remove card ${i + 1}`}>Remove card</Button>
          </Group>
          <CardFields card={card} onChange={(c) => onCards(cards.map((old, k) => (k === i ? c : old)))} path={`${path}.cards[${i}]`} errorAt={errorAt} />
        </Fieldset>
      ))}
      {errorAt(`${path}.cards`) !== undefined && <Text size="sm" c="red">{errorAt(`${path}.cards`)}</Text>}
      <Group gap="xs">
        <Button size="xs" variant="default" disabled={cards.length >= rcsLimits.carouselCards} onClick={() => onCards([...cards, emptyCard()])}>Add card</Button>
        <Text size="xs" c="dimmed">{cards.length} of {rcsLimits.carouselCards} cards (at least {rcsLimits.carouselCardsMin})</Text>
      </Group>
      <Fieldset legend="Suggestions below the carousel" variant="unstyled">
        <ChipsEditor chips={chips} onChange={onChips} max={rcsLimits.carouselChoices} path={`${path}.choices`} errorAt={errorAt} />
      </Fieldset>
    </Stack>
  );
}
