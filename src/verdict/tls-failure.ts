/**
 * What a TLS failure says about the request. A client verifies the server's certificate and
 * agrees on a protocol *before* it writes a byte of the request, so a handshake that fails sent
 * nothing, whatever its code. Only record-layer failures (a bad MAC, a failed decryption, an
 * end of stream mid-record, a renegotiation) can happen after the request was written.
 */

// The certificate verification codes Node reports (OpenSSL's X509_V_ERR_* names) and its own
// host name check: the client refused the server's certificate, which no retry will change.
const certificateCodes = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_CRL', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'CERT_SIGNATURE_FAILURE', 'CRL_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED', 'CRL_NOT_YET_VALID', 'CRL_HAS_EXPIRED', 'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD', 'ERROR_IN_CRL_LAST_UPDATE_FIELD', 'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_CHAIN_TOO_LONG', 'CERT_REVOKED', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);
// Raised during verification, but says nothing about the certificate.
const verificationCodes = new Set(['OUT_OF_MEM']);
// OpenSSL (`ERR_SSL_*`) and Node (`ERR_TLS_*`) failures that can come after the handshake,
// once the request may have been written.
const afterHandshake = /RECORD_MAC|DECRYPT|UNEXPECTED_EOF|UNEXPECTED_RECORD|RENEGOTIAT|SESSION_ATTACK|KEY_UPDATE|SHUTDOWN/;
// Handshake failures that are a mismatch of configuration (versions, ciphers, key sizes, a
// refused or missing client certificate): as permanent as a bad certificate.
const configurationMismatch = new RegExp(
  'CERT|UNKNOWN_CA|VERSION|PROTOCOL|CIPHER|HANDSHAKE_FAILURE|TOO_SMALL|TOO_WEAK|LEGACY|INSUFFICIENT_SECURITY|ACCESS_DENIED|DH_PARAM',
);

/**
 * Whether a transport error code is a TLS failure that happened during the handshake, before
 * anything of the request was sent: every certificate verification code, and every `ERR_SSL_*`
 * or `ERR_TLS_*` code but those that can also happen after the handshake (record-layer errors,
 * renegotiation).
 *
 * @example
 * ```ts
 * isTlsHandshakeFailure('UNABLE_TO_GET_ISSUER_CERT_LOCALLY'); // true
 * isTlsHandshakeFailure('ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC'); // false
 * ```
 */
export function isTlsHandshakeFailure(code: string | undefined): boolean {
  if (code === undefined) return false;
  if (certificateCodes.has(code) || verificationCodes.has(code)) return true;
  return /^ERR_(?:SSL|TLS)_/.test(code) && !afterHandshake.test(code);
}

/**
 * Whether a TLS handshake failure cannot be cured by trying again: a certificate the client
 * refuses (untrusted issuer, expired, wrong host) or a configuration mismatch (no common
 * protocol version or cipher, a client certificate refused).
 *
 * @example
 * ```ts
 * isPermanentTlsFailure('CERT_HAS_EXPIRED'); // true
 * isPermanentTlsFailure('ERR_TLS_HANDSHAKE_TIMEOUT'); // false
 * ```
 */
export function isPermanentTlsFailure(code: string | undefined): boolean {
  if (code === undefined || !isTlsHandshakeFailure(code)) return false;
  return certificateCodes.has(code) || configurationMismatch.test(code.replace(/^ERR_(?:SSL|TLS)_/, ''));
}
