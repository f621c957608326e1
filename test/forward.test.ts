// Forward capture end to end: curl and undici through `ccproxy mitm start --mode forward` to HTTPS stand-ins
// with certificates from their own CA; TLS interception with ccproxy's CA, blind tunnels, error rows.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import * as x509 from '@peculiar/x509';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { isExcluded } from '../src/proxy/forward.js';
import { loadOrCreateCA, type CertificateAuthority } from '../src/proxy/tls/ca.js';
import { startCapture, type RunningCapture } from './helpers/proxy.js';
import { tempConfigDir } from './helpers/pg.js';
import { StandIn } from './helpers/standin.js';

const exec = promisify(execFile);
const curl = (args: string[]) => exec('curl', ['-sS', ...args]).then(
  (r) => ({ code: 0, ...r }),
  (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
);

test('excluded_hosts: exact names and *.suffix', () => {
  assert.ok(isExcluded('internal-api.company.com', ['internal-api.company.com']));
  assert.ok(isExcluded('a.metrics.internal', ['*.metrics.internal']));
  assert.ok(isExcluded('metrics.internal', ['*.metrics.internal']));
  assert.ok(!isExcluded('badmetrics.internal', ['*.metrics.internal']));
  assert.ok(!isExcluded('api.anthropic.com', ['anthropic.com']));
});

describe('forward capture (ccproxy mitm start --mode forward)', () => {
  const providerCaDir = tempConfigDir();
  const untrustedCaDir = tempConfigDir();
  let providerCa: CertificateAuthority;
  let provider: StandIn;
  let untrusted: StandIn;
  let plain: StandIn;
  let byIp: StandIn;
  let echo: net.Server;
  let cap: RunningCapture & { dir: string };
  let ccproxyCa: string;

  before(async () => {
    // The providers' certificates come from their own CA; ccproxy trusts it through NODE_EXTRA_CA_CERTS.
    providerCa = await loadOrCreateCA(providerCaDir.dir);
    provider = await new StandIn(await providerCa.pemFor('localhost')).start();
    const other = await loadOrCreateCA(untrustedCaDir.dir);
    untrusted = await new StandIn(await other.pemFor('localhost')).start();
    plain = await new StandIn().start();
    byIp = await new StandIn(await providerCa.pemFor('127.0.0.1')).start();
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    cap = await startCapture(['--mode', 'forward'], 'ccproxy:\n  mitm:\n    excluded_hosts: ["127.0.0.1"]\n', { NODE_EXTRA_CA_CERTS: providerCa.certPath });
    ccproxyCa = join(cap.dir, 'ccproxy-ca.pem');
  });
  after(async () => {
    assert.equal(await cap?.stop(), 0);
    await Promise.all([provider?.close(), untrusted?.close(), plain?.close(), byIp?.close()]);
    echo?.close();
    providerCaDir.remove();
    untrustedCaDir.remove();
  });

  test('the CA is created on first use: key mode 0600, the extensions strict clients demand', async () => {
    assert.equal(statSync(join(cap.dir, 'ccproxy-ca-key.pem')).mode & 0o777, 0o600);
    const ca = new X509Certificate(readFileSync(ccproxyCa));
    assert.equal(ca.ca, true);
    const parsed = new x509.X509Certificate(readFileSync(ccproxyCa, 'utf8'));
    assert.ok(parsed.getExtension(x509.BasicConstraintsExtension)?.critical);
    assert.ok((parsed.getExtension(x509.KeyUsagesExtension)!.usages & x509.KeyUsageFlags.keyCertSign) !== 0);
    assert.ok(parsed.getExtension(x509.SubjectKeyIdentifierExtension));
    // The leaf a client sees for localhost.
    const leaf = await new Promise<tls.PeerCertificate>((resolve, reject) => {
      const s = net.connect(cap.port, '127.0.0.1', () => s.write(`CONNECT localhost:${provider.port} HTTP/1.1\r\nHost: localhost:${provider.port}\r\n\r\n`));
      s.once('data', () => {
        const t = tls.connect({ socket: s, servername: 'localhost', ca: readFileSync(ccproxyCa), ALPNProtocols: ['h2', 'http/1.1'] }, () => {
          assert.equal(t.alpnProtocol, 'http/1.1', 'towards clients: HTTP/1.1');
          resolve(t.getPeerCertificate());
          t.end();
        });
        t.on('error', reject);
      });
    });
    assert.equal(leaf.subjectaltname, 'DNS:localhost');
    const leafParsed = new x509.X509Certificate(leaf.raw);
    assert.ok(leafParsed.getExtension(x509.AuthorityKeyIdentifierExtension), 'authority key id');
  });

  test('curl through the proxy: TLS intercepted, the exchange recorded as forward https', async () => {
    const r = await curl(['--proxy', cap.url, '--cacert', ccproxyCa, '-H', 'content-type: application/json', '-H', 'x-claude-code-session-id: fwd-curl', '--data', '{"model":"m"}', `https://localhost:${provider.port}/v1/messages`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).id, 'msg_1');
    const [row] = await cap.rows(`session_id = 'fwd-curl'`);
    assert.equal(row.proxy_direction, 1);
    assert.equal(row.is_https, true);
    assert.equal(row.url, `https://localhost:${provider.port}/v1/messages`);
    assert.equal(row.host, 'localhost');
    assert.equal(row.traffic_type, 'llm');
    assert.equal(row.server_port, provider.port);
    assert.equal(row.client_ip, '127.0.0.1');
    assert.equal(row.server_ip, '127.0.0.1');
    assert.equal(row.status_code, 200);
    assert.equal(row.request_body.toString(), '{"model":"m"}');
  });

  test('undici fetch with a ProxyAgent streams SSE event by event through the interception', async () => {
    const dispatcher = new ProxyAgent({ uri: cap.url, requestTls: { ca: readFileSync(ccproxyCa, 'utf8') } });
    const release = provider.armGate();
    const res = await undiciFetch(`https://localhost:${provider.port}/v1/messages`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', 'x-claude-code-session-id': 'fwd-sse' },
      body: JSON.stringify({ model: 'm', stream: true }),
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = '';
    let sentAtFirst = -1;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
      if (sentAtFirst < 0 && text.includes('event: message_start')) {
        sentAtFirst = provider.eventsSent;
        release();
      }
    }
    assert.equal(sentAtFirst, 1, 'the provider had sent only event 1 when the client received it');
    assert.equal((text.match(/^event: /gm) ?? []).length, 7);
    const [row] = await cap.rows(`session_id = 'fwd-sse'`);
    assert.equal((row.response_body.toString().match(/^event: /gm) ?? []).length, 7);
    await dispatcher.close();
  });

  test('a client that does not trust the CA: its handshake fails and a row names the host', async () => {
    const r = await curl(['--proxy', cap.url, `https://localhost:${provider.port}/no-trust`]);
    assert.equal(r.code, 60, 'curl: certificate problem');
    const rows = await cap.rows(`error_type = 'client_tls_rejected'`);
    assert.equal(rows[0].host, 'localhost');
    assert.equal(rows[0].client_ip, '127.0.0.1');
    assert.equal(rows[0].status_code, null);
    assert.match(rows[0].error_message, /^the client rejected the certificate for localhost \(TLS alert: (unknown ca|certificate unknown)\): it does not trust the ccproxy CA; give it .*ccproxy-ca\.pem/);
  });

  test('an upstream whose certificate is not trusted: 502 naming it, and a tls_failed row', async () => {
    const r = await curl(['--proxy', cap.url, '--cacert', ccproxyCa, '-H', 'x-claude-code-session-id: fwd-untrusted', `https://localhost:${untrusted.port}/v1/messages`, '-w', '\n%{http_code}']);
    assert.equal(r.code, 0, r.stderr);
    const [body, status] = r.stdout.split('\n');
    assert.equal(status, '502');
    assert.equal(JSON.parse(body!).error.error_type, 'tls_failed');
    assert.equal(JSON.parse(body!).error.upstream, `https://localhost:${untrusted.port}`);
    const [row] = await cap.rows(`session_id = 'fwd-untrusted'`);
    assert.equal(row.error_type, 'tls_failed');
    assert.equal(row.status_code, null);
  });

  test('plain HTTP in absolute form is forwarded and recorded', async () => {
    const r = await curl(['--proxy', cap.url, '-H', 'x-claude-code-session-id: fwd-plain', '--data', '{}', `http://localhost:${plain.port}/v1/chat/completions`]);
    assert.equal(r.code, 0, r.stderr);
    const [row] = await cap.rows(`session_id = 'fwd-plain'`);
    assert.equal(row.is_https, false);
    assert.equal(row.proxy_direction, 1);
    assert.equal(row.url, `http://localhost:${plain.port}/v1/chat/completions`);
  });

  test('excluded hosts are tunnelled blind: the client sees the provider certificate, no row', async () => {
    // 127.0.0.1 is excluded; this stand-in's certificate (for the IP, from the providers' CA) can only
    // satisfy curl if nobody intercepted.
    const r = await curl(['--proxy', cap.url, '--cacert', providerCa.certPath, '-H', 'x-claude-code-session-id: excluded', '--data', '{}', `https://127.0.0.1:${byIp.port}/v1/messages`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).id, 'msg_1');
    await new Promise((x) => setTimeout(x, 300));
    const { rows } = await cap.db.pool.query(`SELECT count(*)::int AS n FROM "CCProxy_HttpTraces" WHERE session_id = 'excluded' OR host = '127.0.0.1'`);
    assert.equal(rows[0].n, 0);
  });

  test('a CONNECT whose payload is neither TLS nor HTTP passes through untouched to an excluded host, and is refused to another local port', async () => {
    const port = (echo.address() as net.AddressInfo).port;
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(cap.port, '127.0.0.1', () => s.write(`CONNECT localhost:${port} HTTP/1.1\r\nHost: localhost:${port}\r\n\r\n`));
      let buf = '';
      s.on('data', (d) => {
        buf += d;
        if (buf === 'HTTP/1.1 200 Connection Established\r\n\r\n') s.write('\x00ping\n');
      });
      s.on('close', () => resolve(buf));
      s.on('error', () => {});
    });
    assert.equal(refused, 'HTTP/1.1 200 Connection Established\r\n\r\n', 'no byte of the tunnel reached the local port');
    const [row] = await cap.rows(`error_type = 'tunnel_refused'`);
    assert.equal(row.method, 'CONNECT');
    assert.equal(row.url, `localhost:${port}`);
    assert.match(row.error_message, /carried neither TLS nor HTTP.*excluded_hosts/);
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect(cap.port, '127.0.0.1', () => s.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
      let buf = '';
      s.on('data', (d) => {
        buf += d;
        if (buf === 'HTTP/1.1 200 Connection Established\r\n\r\n') s.write('ping\n');
        if (buf.endsWith('ping\n')) {
          resolve(buf);
          s.end();
        }
      });
      s.on('error', reject);
    });
    assert.equal(reply, 'HTTP/1.1 200 Connection Established\r\n\r\nping\n');
  });
});

test('a CA already in cert_dir (an enterprise RSA CA, say) is used as it is', async () => {
  const dir = tempConfigDir();
  try {
    const certDir = join(dir.dir, 'certs');
    mkdirSync(certDir);
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keys = {
      privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), alg, true, ['sign']),
      publicKey: await webcrypto.subtle.importKey('spki', (await import('node:crypto')).createPublicKey(privateKey).export({ type: 'spki', format: 'der' }), alg, true, ['verify']),
    };
    const caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=Example Corp Root',
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: new Date(Date.now() + 86_400_000 * 30),
      keys,
      signingAlgorithm: alg,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
    });
    writeFileSync(join(certDir, 'ccproxy-ca.pem'), caCert.toString('pem'));
    writeFileSync(join(certDir, 'ccproxy-ca-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const before = readFileSync(join(certDir, 'ccproxy-ca.pem'), 'utf8');
    const provider = await new StandIn().start();
    const cap = await startCapture(['--mode', 'forward'], `ccproxy:\n  mitm:\n    cert_dir: ${certDir}\n`);
    try {
      // An https request to a name whose plain-HTTP stand-in is behind it is not needed: the handshake is the check.
      const leaf = await new Promise<tls.PeerCertificate>((resolve, reject) => {
        const s = net.connect(cap.port, '127.0.0.1', () => s.write(`CONNECT api.example.test:443 HTTP/1.1\r\n\r\n`));
        s.once('data', () => {
          const t = tls.connect({ socket: s, servername: 'api.example.test', ca: before }, () => {
            resolve(t.getPeerCertificate());
            t.destroy();
          });
          t.on('error', reject);
        });
      });
      assert.match(String(leaf.issuer.CN), /Example Corp Root/);
      assert.equal(readFileSync(join(certDir, 'ccproxy-ca.pem'), 'utf8'), before, 'the CA file is untouched');
    } finally {
      await cap.stop();
      await provider.close();
    }
  } finally {
    dir.remove();
  }
});
