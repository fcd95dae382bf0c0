// The IMDS environment the seed's deployments set (../shared/seeds/000_*.txt), word for word:
// the manifests must carry it and the configuration must parse it.
export const SEED_IMDS_ENV = {
  AWS_EC2_METADATA_DISABLED: 'false',
  AWS_EC2_METADATA_V1_DISABLED: 'false',
  AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv4',
  AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://169.254.169.254',
  AWS_METADATA_SERVICE_TIMEOUT: '10',
  AWS_METADATA_SERVICE_NUM_ATTEMPTS: '3',
  IMDS_AUTO_CONFIGURE_HOP_LIMIT: 'true',
  IMDS_HOP_LIMIT: '2',
} as const;
