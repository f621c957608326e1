// The CA's file names in cert_dir, for commands that only look for the CA (status, the gateway's trust) without
// loading the certificate code.
export const CA_CERT_FILE = 'ccproxy-ca.pem';
export const CA_KEY_FILE = 'ccproxy-ca-key.pem';
