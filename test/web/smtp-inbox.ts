// A real SMTP server for browser tests (smtp-server): it accepts every message and keeps it, with
// just enough MIME decoding to read the plain-text part and follow the links in it.
import { SMTPServer } from 'smtp-server';

export interface ReceivedEmail {
  to: string[];
  subject: string;
  text: string;
  raw: string;
}

export interface SmtpInbox {
  url: string;
  messages: ReceivedEmail[];
  /** Polls until a message matches (to the address and, if given, a subject pattern). */
  waitFor(match: { to: string; subject?: RegExp; after?: number }, timeoutMs?: number): Promise<ReceivedEmail>;
  close(): Promise<void>;
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const soft = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(soft[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function splitPart(part: string): { headers: string; body: string } {
  const index = part.search(/\r?\n\r?\n/);
  if (index < 0) return { headers: part, body: '' };
  return { headers: part.slice(0, index), body: part.slice(index).replace(/^\r?\n\r?\n/, '') };
}

function header(headers: string, name: string): string {
  const unfolded = headers.replace(/\r?\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(unfolded);
  return match?.[1]?.trim() ?? '';
}

function decodeBody(headers: string, body: string): string {
  const encoding = header(headers, 'content-transfer-encoding').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** The text/plain part of a (possibly nested multipart) message. */
function plainText(headers: string, body: string): string | null {
  const type = header(headers, 'content-type');
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break;
      const inner = splitPart(part.replace(/^\r?\n/, ''));
      const found = plainText(inner.headers, inner.body);
      if (found !== null) return found;
    }
    return null;
  }
  if (type === '' || /^text\/plain/i.test(type)) return decodeBody(headers, body);
  return null;
}

/** RFC 2047 encoded words in a subject ("=?UTF-8?Q?...?=") decoded. */
function decodeHeaderWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*/g, (_all, _charset, kind: string, data: string) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : decodeQuotedPrintable(data.replaceAll('_', ' ')),
  );
}

export function parseEmail(raw: string, to: string[]): ReceivedEmail {
  const { headers, body } = splitPart(raw);
  return { to, subject: decodeHeaderWords(header(headers, 'subject')), text: plainText(headers, body) ?? '', raw };
}

export async function startSmtpInbox(): Promise<SmtpInbox> {
  const messages: ReceivedEmail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase());
        messages.push(parseEmail(Buffer.concat(chunks).toString('utf8'), to));
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('SMTP server has no port');
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    messages,
    async waitFor({ to, subject, after = 0 }, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages
          .slice(after)
          .find((message) => message.to.includes(to.toLowerCase()) && (!subject || subject.test(message.subject)));
        if (found) return found;
        if (Date.now() > deadline) {
          const seen = messages.map((message) => `${message.to.join(',')}: ${message.subject}`).join('\n  ');
          throw new Error(`no email to ${to}${subject ? ` matching ${subject}` : ''}; received:\n  ${seen}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
