import t from 'tap';
import { gostCertificateHash, gostKeyBits, streebog } from '../../../src/esia/certificate.js';
import { generateGostKeyPair } from '../../../src/esia/dev-keys.js';
import { testOpenssl } from '../../helpers/emulator.js';

/**
 * client_certificate_hash pinned to published values that do not come from openssl, so a change
 * of byte order (reversed digest, swapped half-bytes) or of input (PEM text instead of DER) fails
 * here instead of at ESIA with ESIA-007053. Sources in docs/esia.md ("client_certificate_hash").
 */
const openssl = testOpenssl();
const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;

t.test('a "certificate" whose DER is 1234567890\\r\\n hashes to CryptoPro cpverify\'s published value', async (t) => {
  t.equal(Buffer.from('MTIzNDU2Nzg5MA0K', 'base64').toString('latin1'), '1234567890\r\n', 'the PEM body is those 12 bytes');
  // cpverify -mk -alg GR3411_2012_256 -inverted_halfbytes 0 (x509.ru forum, topic 14863)
  t.equal(await gostCertificateHash(openssl, pem('MTIzNDU2Nzg5MA0K')), '6AB21D9E1B3E18EA44A57F9F03658BFEA96167BA03EB978B1A553EC4C85BE367');
});

t.test('RFC 6986 example M1 hashes (256 and 512 bits) to the published values in their usual order', async (t) => {
  const m1 = Buffer.from('012345678901234567890123456789012345678901234567890123456789012', 'latin1');
  // RFC 6986 §10.1 prints message and digests as numbers (most significant byte first); the byte
  // strings are their reversal, and that is what BouncyCastle's current tests and gogost print.
  t.equal((await streebog(openssl, m1, 256)).toString('hex'), '9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500');
  t.equal(
    (await streebog(openssl, m1, 512)).toString('hex'),
    '1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48',
  );
  t.equal(await gostCertificateHash(openssl, pem(m1.toString('base64'))), '9D151EEFD8590B89DAA6BA6CB74AF9275DD051026BB149A452FD84E5E57B5500', 'through the certificate path');
});

t.test('a 512-bit certificate is hashed with Streebog-512 (128 hex), a 256-bit one with Streebog-256', async (t) => {
  const [small, large] = await Promise.all([generateGostKeyPair(openssl, '/CN=k256'), generateGostKeyPair(openssl, '/CN=k512', 512)]);
  t.equal(gostKeyBits(small.cert), 256);
  t.equal(gostKeyBits(large.cert), 512);
  t.match(await gostCertificateHash(openssl, small.cert), /^[0-9A-F]{64}$/);
  t.match(await gostCertificateHash(openssl, large.cert), /^[0-9A-F]{128}$/);
  t.equal(gostKeyBits(pem('MTIzNDU2Nzg5MA0K')), undefined, 'no GOST key OID: hashed as 256');
});
