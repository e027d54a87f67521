import { Box, Paper, Text } from '@mantine/core';
import { usePersonalise, type Sample } from '../liquid.ts';

/**
 * A WhatsApp-like or RCS-like phone showing the message as a sample customer would read it. The exact rendering is
 * the API's (POST …/campaigns/{id}/preview); this is the live sketch while typing, personalised with the same Liquid
 * and the same variables (the customer's attributes by name, `customer.id`, `customer.phone`, `customer.tags`).
 */
export function PhoneFrame({ channel, text, sample }: { channel: 'whatsapp' | 'rcs'; text: string; sample?: Sample | undefined }) {
  const fill = usePersonalise(sample);
  const filled = fill(text);
  const whatsapp = channel === 'whatsapp';
  return (
    <Paper withBorder radius={28} p="sm" w={280} mx="auto" bg={whatsapp ? '#efeae2' : '#f1f3f4'} aria-label={`${whatsapp ? 'WhatsApp' : 'RCS'} preview`} role="img">
      <Text size="xs" fw={700} ta="center" mb="xs">{whatsapp ? 'WhatsApp' : 'Messages (RCS)'}</Text>
      <Box mih={320}>
        <Paper p="xs" radius="md" maw="85%" bg={whatsapp ? 'white' : '#e8eaed'} shadow="xs">
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="preview-text">{filled}</Text>
        </Paper>
      </Box>
    </Paper>
  );
}
