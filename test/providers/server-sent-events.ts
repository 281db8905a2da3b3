/** Test side: reads a `text/event-stream` body into its events, as a strict client would. */

export interface ServerSentEvent {
  /** The `event:` line; null for data-only events. */
  event: string | null;
  data: string;
}

/** Splits a whole stream into events; throws on a line that is neither `event:` nor `data:`. */
export function parseServerSentEvents(text: string): ServerSentEvent[] {
  if (!text.endsWith('\n\n')) throw new Error('stream does not end with a blank line');
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      let event: string | null = null;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice('event: '.length);
        else if (line.startsWith('data: ')) data.push(line.slice('data: '.length));
        else throw new Error(`unexpected line in event stream: ${JSON.stringify(line)}`);
      }
      return { event, data: data.join('\n') };
    });
}

/** The events' data parsed as JSON (for streams without a `[DONE]` marker, or before it). */
export function eventData(events: ServerSentEvent[]): Record<string, unknown>[] {
  return events.map((event) => JSON.parse(event.data) as Record<string, unknown>);
}

export async function readServerSentEvents(response: Response): Promise<ServerSentEvent[]> {
  return parseServerSentEvents(await response.text());
}
