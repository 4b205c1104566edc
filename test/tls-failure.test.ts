import { describe, expect, it } from 'vitest';
import { isPermanentTlsFailure, isTlsHandshakeFailure } from '../src/verdict/tls-failure.js';
import { sentStateOfCode } from '../src/verdict/transport-error.js';

// [code, failed in the handshake (nothing sent), permanent]
const cases: Array<[string, boolean, boolean]> = [
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', true, true],
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', true, true],
  ['CERT_NOT_YET_VALID', true, true],
  ['CERT_REVOKED', true, true],
  ['HOSTNAME_MISMATCH', true, true],
  ['ERR_TLS_CERT_ALTNAME_INVALID', true, true],
  ['OUT_OF_MEM', true, false],
  ['ERR_SSL_WRONG_VERSION_NUMBER', true, true],
  ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', true, true],
  ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', true, true],
  ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', true, true],
  ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', true, true],
  ['ERR_SSL_DH_KEY_TOO_SMALL', true, true],
  ['ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR', true, false],
  ['ERR_TLS_HANDSHAKE_TIMEOUT', true, false],
  ['ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC', false, false],
  ['ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC', false, false],
  ['ERR_SSL_UNEXPECTED_EOF_WHILE_READING', false, false],
  ['ERR_TLS_RENEGOTIATION_DISABLED', false, false],
  ['ECONNRESET', false, false],
  ['UND_ERR_SOCKET', false, false],
];

describe('TLS failures', () => {
  it.each(cases)('%s: in the handshake %s, permanent %s', (code, handshake, permanent) => {
    expect(isTlsHandshakeFailure(code)).toBe(handshake);
    expect(isPermanentTlsFailure(code)).toBe(permanent);
    if (handshake) expect(sentStateOfCode(code)).toBe('not-sent');
  });

  it('leaves a reset ambiguous: nothing tells when it came', () => {
    expect(sentStateOfCode('ECONNRESET')).toBe('ambiguous');
    expect(isTlsHandshakeFailure(undefined)).toBe(false);
  });
});
