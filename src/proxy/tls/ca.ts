// The local certificate authority for TLS interception, and the per-host leaf certificates it signs.
// Created on first use as ccproxy-ca.pem / ccproxy-ca-key.pem (key mode 0600) in cert_dir; a CA already there
// (an enterprise one, RSA or EC) is used as it is. ECDSA P-256 via WebCrypto: a leaf costs milliseconds and
// never blocks the event loop. One leaf key serves every host; certificates are cached per host name or IP.
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import * as x509 from '@peculiar/x509';
import { UserError } from '../../errors.js';
import { CA_CERT_FILE, CA_KEY_FILE } from './ca-files.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
/** Leaf validity: under the 398 days that Apple and browsers accept. */
const LEAF_DAYS = 397;
/** Host names whose certificates are kept; the oldest goes first past this. */
const CACHE_SIZE = 1_000;

export interface CertificateAuthority {
  certPath: string;
  certPem: string;
  /** A TLS context for `host` (a name or an IP), signed by this CA; cached. */
  contextFor(host: string): Promise<tls.SecureContext>;
  /** The key and certificate chain behind `contextFor`, as PEM. */
  pemFor(host: string): Promise<{ key: string; cert: string }>;
}

export async function loadOrCreateCA(certDir: string): Promise<CertificateAuthority> {
  const certPath = join(certDir, CA_CERT_FILE);
  const keyPath = join(certDir, CA_KEY_FILE);
  let caCert: x509.X509Certificate;
  let caKey: CryptoKey;
  let signAlg: Algorithm & { hash?: string };
  if (existsSync(certPath) && existsSync(keyPath)) {
    try {
      caCert = new x509.X509Certificate(readFileSync(certPath, 'utf8'));
      ({ key: caKey, alg: signAlg } = await importKey(readFileSync(keyPath, 'utf8')));
    } catch (err) {
      throw new UserError(`cannot use the CA in ${certDir}: ${(err as Error).message} (expected PEM files ${CA_CERT_FILE} and ${CA_KEY_FILE})`);
    }
  } else {
    mkdirSync(certDir, { recursive: true });
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = Date.now();
    caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=ccproxy local CA, O=ccproxy',
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 10 * 365 * DAY),
      keys,
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    writeFileSync(keyPath, pem('PRIVATE KEY', pkcs8), { mode: 0o600 });
    chmodSync(keyPath, 0o600);
    writeFileSync(certPath, caCert.toString('pem'), { mode: 0o644 });
    caKey = keys.privateKey;
    signAlg = EC;
  }
  const caPem = caCert.toString('pem');
  // Checked with Node's own parser too, so a broken file fails here and not on the first connection.
  new X509Certificate(caPem);

  const leafKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const leafKeyPem = pem('PRIVATE KEY', Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey)));
  const aki = await x509.AuthorityKeyIdentifierExtension.create(caCert, false);
  const cache = new Map<string, Promise<{ pem: { key: string; cert: string }; context: tls.SecureContext }>>();

  function entry(host: string) {
    const key = host.toLowerCase();
    let e = cache.get(key);
    if (e) {
      cache.delete(key); // refresh its place: least recently used goes first
      cache.set(key, e);
      return e;
    }
    e = issue(key).then((pem) => ({ pem, context: tls.createSecureContext(pem) }));
    e.catch(() => cache.delete(key));
    cache.set(key, e);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
    return e;
  }

  async function issue(host: string): Promise<{ key: string; cert: string }> {
    const now = Date.now();
    const ip = isIP(host) !== 0;
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${ip ? host : host.slice(0, 64)}`,
      issuer: caCert.subject,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + LEAF_DAYS * DAY),
      publicKey: leafKeys.publicKey,
      signingKey: caKey,
      signingAlgorithm: signAlg,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: ip ? 'ip' : 'dns', value: host }]),
        aki,
        await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
      ],
    });
    return { key: leafKeyPem, cert: leaf.toString('pem') + '\n' + caPem };
  }

  return {
    certPath,
    certPem: caPem,
    contextFor: async (host) => (await entry(host)).context,
    pemFor: async (host) => (await entry(host)).pem,
  };
}

async function importKey(keyPem: string): Promise<{ key: CryptoKey; alg: Algorithm & { hash?: string } }> {
  const k = createPrivateKey(keyPem);
  const der = k.export({ format: 'der', type: 'pkcs8' });
  if (k.asymmetricKeyType === 'rsa') {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { key: await webcrypto.subtle.importKey('pkcs8', der, alg, false, ['sign']), alg };
  }
  if (k.asymmetricKeyType === 'ec') {
    const curve = k.asymmetricKeyDetails?.namedCurve;
    const named = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : null;
    if (!named) throw new Error(`unsupported EC curve ${curve}`);
    const hash = named === 'P-256' ? 'SHA-256' : named === 'P-384' ? 'SHA-384' : 'SHA-512';
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: named }, false, ['sign']);
    return { key, alg: { name: 'ECDSA', hash } };
  }
  throw new Error(`unsupported CA key type ${k.asymmetricKeyType}`);
}

function serial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0]! &= 0x7f; // positive
  return Buffer.from(b).toString('hex');
}

function pem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}
