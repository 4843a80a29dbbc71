import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { localCommand } from '../../cli/local-command';

/**
 * The startup banner of `pipeline local` says how to read the GitHub webhook secret and never prints it
 * (terminals are shared, recorded and scrolled back); only a non-browser client on this machine reads it.
 */
const CONFIG = join(__dirname, '..', '..', 'pipeline.config.yml');

describe('pipeline local and its webhook secret', () => {
  it('when started, the banner tells how to read the secret, curl reads it, a browser does not, and deliveries verify with it', async () => {
    // Prepare
    const lines: string[] = [];
    const stop = new AbortController();
    const running = localCommand(['--port', '0', '--config', CONFIG], (t) => lines.push(t), stop.signal);
    for (let i = 0; i < 400 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const banner = lines.join('\n');
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(banner)![0];

    try {
      // Act
      const how = /curl -s (\S+github-webhook-secret)/.exec(banner)?.[1];
      const asCurl = await fetch(how!);
      const secret = (await asCurl.text()).trim();
      const asBrowser = await fetch(how!, { headers: { origin: url, 'sec-fetch-site': 'same-origin' } });
      const body = '{"zen":"Keep it logically awesome."}';
      const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      const ping = await fetch(`${url}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'ping',
          'x-hub-signature-256': signature,
        },
        body,
      });

      // Assess
      expect(how).toBe(`${url}/api/github-webhook-secret`);
      expect(asCurl.status).toBe(200);
      expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(banner).not.toContain(secret);
      expect(asBrowser.status).toBe(403);
      expect(await asBrowser.text()).not.toContain(secret);
      expect(ping.status).toBe(200);
    } finally {
      stop.abort();
      await running;
    }
  });
});
